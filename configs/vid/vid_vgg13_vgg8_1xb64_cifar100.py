# VID ("Variational Information Distillation for Knowledge Transfer", arXiv
# 1904.05835), VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark code
# (RepDistiller) runs it: CE weight 1, KD weight 0, VID at the output of
# stages 2-5 (its features 1-4: 128, 256, 512, 512 channels in both;
# regressor with as many middle channels as the teacher's, variance
# starting at 5), each weighing 1.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, vid  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (2, 3, 4, 5)]
__channels = [128, 256, 512, 512]
model = dict(
    distiller=vid(__stages, __stages, __channels, __channels, loss_weight=1.0))
