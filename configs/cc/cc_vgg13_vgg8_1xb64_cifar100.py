# CC ("Correlation Congruence for Knowledge Distillation", arXiv 1904.01802),
# VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark code (RepDistiller) runs
# it: CE weight 1, KD weight 0, its CC form (see README.md) weighing 0.02 on
# the pooled features (512 channels in both), each through a trained linear
# embedding to 128 dimensions.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import cc  # noqa: E402

model = dict(distiller=cc(512, 512, loss_weight=0.02))
