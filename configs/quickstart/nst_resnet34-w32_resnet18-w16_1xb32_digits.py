# Quick start: the student distilled from the quick-start teacher with NST
# ("Like What You Like: Knowledge Distill via Neuron Selectivity Transfer",
# arXiv 1707.01219): CE + 50 * the squared MMD (polynomial kernel of degree 2)
# at the output of each of the four stages, the CRD benchmark code's weight.
# The channel counts may differ.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import module_outputs, nst  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3, 4)]
model = dict(distiller=nst(student=__stages, teacher=__stages,
                           loss_weight=50.0))
