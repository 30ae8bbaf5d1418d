# Quick start: the student distilled from the quick-start teacher with
# attention transfer ("Paying More Attention to Attention", arXiv
# 1612.03928): the spatial attention of the outputs of layers 1-3, each
# weighing 1000 (the CRD benchmark's weight). The fourth stage's 1x1 map
# (8x8 digits) has no spatial attention to transfer (its normalised map is
# always 1).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import at, module_outputs  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]
model = dict(distiller=at(__stages, __stages, loss_weight=1000.0))
