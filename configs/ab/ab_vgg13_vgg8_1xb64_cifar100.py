# AB (arXiv 1811.03233), VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark
# code runs it (see ab_resnet32x4_resnet8x4_1xb64_cifar100.py): 30 epochs of
# the AB loss alone on the student's backbone, then the recipe with the
# cross-entropy only.
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ab, ab_losses, init_phase, module_inputs)

# The pre-ReLU output of blocks 1-4 (layer2-5; VGG8 has one conv per stage,
# VGG13 two), 128/256/512/512 channels in both: no connector.
model = dict(distiller=ab(
    [module_inputs(f'backbone.layer{i}.0.activate') for i in range(2, 6)],
    [module_inputs(f'backbone.layer{i}.1.activate') for i in range(2, 6)],
    student_channels=[128, 256, 512, 512]))
custom_hooks = [
    init_phase(
        epochs=30, trainable=['architecture.backbone'], losses=ab_losses(4))
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
