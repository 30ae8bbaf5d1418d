# FT (arXiv 1802.04977), VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark
# code runs it (see ft_resnet32x4_resnet8x4_1xb64_cifar100.py); the
# initialisation phase's learning rate is the run's 0.05 (the reference code
# lowers it to 0.01 for ResNet and WRN students only).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ft, ft_init_phase, module_outputs)

# The last block's output (layer5, after its ReLU), 512 channels in both;
# factor rate 0.5 (256 channels).
__stage = module_outputs('backbone.layer5')
model = dict(distiller=ft(__stage, __stage, 512, 512, loss_weight=200.0))
custom_hooks = [ft_init_phase(epochs=30)]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
