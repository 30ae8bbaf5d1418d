# AT ("Paying More Attention to Attention", arXiv 1612.03928), VGG13 -> VGG8
# on CIFAR-100, as the CRD benchmark code (RepDistiller) runs it: CE weight
# 1, KD weight 0, attention transfer (p = 2) at the output of stages 2-5
# (its features 1-4: the first stage and the pooled feature excluded), each
# weighing 1000.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import at, module_outputs  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (2, 3, 4, 5)]
model = dict(distiller=at(__stages, __stages, loss_weight=1000.0))
