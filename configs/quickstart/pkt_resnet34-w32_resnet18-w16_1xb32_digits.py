# Quick start: the student distilled from the quick-start teacher with
# probabilistic knowledge transfer (arXiv 1803.10837): the cosine
# conditional probabilities of the pooled features, weight 30000 (the CRD
# benchmark's).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import pkt  # noqa: E402

model = dict(distiller=pkt(loss_weight=30000.0))
