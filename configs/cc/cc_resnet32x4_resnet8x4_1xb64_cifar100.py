# CC ("Correlation Congruence for Knowledge Distillation", arXiv 1904.01802),
# ResNet32x4 -> ResNet8x4 on CIFAR-100, as the CRD benchmark code
# (RepDistiller) runs it: CE weight 1, KD weight 0, its CC form (see
# README.md) weighing 0.02 on the pooled features (256 channels in both),
# each through a trained linear embedding to 128 dimensions.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import cc  # noqa: E402

model = dict(distiller=cc(256, 256, loss_weight=0.02))
