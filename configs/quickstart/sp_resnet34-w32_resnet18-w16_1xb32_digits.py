# Quick start: the student distilled from the quick-start teacher with
# similarity-preserving KD (arXiv 1907.09682): the batch's pairwise
# similarities of the last stage's output, weight 3000 (the CRD benchmark's).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import module_outputs, sp  # noqa: E402

__last = module_outputs('backbone.layer4')
model = dict(distiller=sp(__last, __last, loss_weight=3000.0))
