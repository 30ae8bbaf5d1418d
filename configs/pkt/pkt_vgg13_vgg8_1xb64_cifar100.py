# PKT ("Learning Deep Representations with Probabilistic Knowledge
# Transfer", arXiv 1803.10837), VGG13 -> VGG8 on CIFAR-100, as the CRD
# benchmark code (RepDistiller) runs it: CE weight 1, KD weight 0, PKT
# weighing 30000 on the pooled features.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import pkt  # noqa: E402

model = dict(distiller=pkt(loss_weight=30000.0))
