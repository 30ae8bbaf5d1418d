# KD-SVD ("Self-supervised Knowledge Distillation Using Singular Value
# Decomposition", arXiv 1807.06819), ResNet32x4 -> ResNet8x4 on CIFAR-100:
# CE + the KD-SVD loss (k = 1) between the outputs of consecutive stages, as
# the CRD benchmark code computes it. Weight 1: mdistiller's
# (CFG.KDSVD.LOSS.FEAT_WEIGHT; RepDistiller's scripts give none).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import kdsvd, module_outputs  # noqa

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]
model = dict(distiller=kdsvd(student=__stages, teacher=__stages))
