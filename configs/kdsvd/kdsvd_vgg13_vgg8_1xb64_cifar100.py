# KD-SVD (arXiv 1807.06819), VGG13 -> VGG8 on CIFAR-100: CE + the KD-SVD loss
# (k = 1, weight 1, mdistiller's) between the outputs of blocks 1-4
# (layer2-5).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import kdsvd, module_outputs  # noqa

__stages = [module_outputs(f'backbone.layer{i}') for i in range(2, 6)]
model = dict(distiller=kdsvd(student=__stages, teacher=__stages))
