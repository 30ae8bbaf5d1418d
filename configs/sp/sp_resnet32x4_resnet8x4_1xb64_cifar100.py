# SP ("Similarity-Preserving Knowledge Distillation", arXiv 1907.09682),
# ResNet32x4 -> ResNet8x4 on CIFAR-100, as the CRD benchmark code
# (RepDistiller) runs it: CE weight 1, KD weight 0, SP weighing 3000 on the
# last stage's output (256 channels at 8x8).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, sp  # noqa: E402

__last = module_outputs('backbone.layer3')
model = dict(distiller=sp(__last, __last, loss_weight=3000.0))
