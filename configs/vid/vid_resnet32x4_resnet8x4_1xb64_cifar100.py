# VID ("Variational Information Distillation for Knowledge Transfer", arXiv
# 1904.05835), ResNet32x4 -> ResNet8x4 on CIFAR-100, as the CRD benchmark
# code (RepDistiller) runs it: CE weight 1, KD weight 0, VID at the output of
# each of the three stages (64, 128, 256 channels in both; regressor with as
# many middle channels as the teacher's, variance starting at 5), each
# weighing 1.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, vid  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]
__channels = [64, 128, 256]
model = dict(
    distiller=vid(__stages, __stages, __channels, __channels, loss_weight=1.0))
