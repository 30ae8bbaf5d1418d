# Quick start: the student distilled from the quick-start teacher with
# correlation congruence (arXiv 1904.01802), as the CRD benchmark code runs
# it: the pooled features (128 and 256 channels) each through a trained
# linear embedding to 128 dimensions, weight 0.02.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import cc  # noqa: E402

model = dict(distiller=cc(128, 256, loss_weight=0.02))
