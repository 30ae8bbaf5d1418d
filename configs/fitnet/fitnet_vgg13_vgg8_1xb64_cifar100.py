# FitNet ("FitNets: Hints for Thin Deep Nets", arXiv 1412.6550), VGG13 -> VGG8
# on CIFAR-100, as the CRD benchmark code (RepDistiller) runs it: one stage,
# CE weight 1, KD weight 0 and the hint loss weighing 100 on hint layer 2
# (the output of the third stage, layer3: 256 channels at 8x8 in both)
# through a 1x1 conv + BN + ReLU regressor.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    fitnet, module_outputs)

__hint = module_outputs('backbone.layer3')
model = dict(distiller=fitnet(__hint, __hint, 256, 256, loss_weight=100.0))
