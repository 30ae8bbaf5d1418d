# SP ("Similarity-Preserving Knowledge Distillation", arXiv 1907.09682),
# VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark code (RepDistiller) runs
# it: CE weight 1, KD weight 0, SP weighing 3000 on the last stage's output
# (512 channels at 4x4).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, sp  # noqa: E402

__last = module_outputs('backbone.layer5')
model = dict(distiller=sp(__last, __last, loss_weight=3000.0))
