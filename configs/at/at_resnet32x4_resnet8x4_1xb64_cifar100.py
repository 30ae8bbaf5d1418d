# AT ("Paying More Attention to Attention", arXiv 1612.03928), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, as the CRD benchmark code (RepDistiller) runs it:
# CE weight 1, KD weight 0, attention transfer (p = 2) at the output of each
# of the three stages, each weighing 1000.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import at, module_outputs  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]
model = dict(distiller=at(__stages, __stages, loss_weight=1000.0))
