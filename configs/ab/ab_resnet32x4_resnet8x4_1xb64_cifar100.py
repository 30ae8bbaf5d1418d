# AB ("Knowledge Transfer via Distillation of Activation Boundaries Formed by
# Hidden Neurons", arXiv 1811.03233), ResNet32x4 -> ResNet8x4 on CIFAR-100, as
# the CRD benchmark code (RepDistiller, `--distill abound -a 0 -b 1`) runs it:
# a 30-epoch initialisation phase trains the student's backbone with the AB
# loss on the pre-ReLU output of each stage alone (SGD lr 0.05, momentum 0.9,
# weight decay 5e-4, `--init_epochs 30`); then the 240 epochs of the CIFAR-100
# recipe train the student with the cross-entropy only (the reference code
# adds no AB term there).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ab, ab_losses, init_phase, module_inputs)

# Both have 64/128/256 channels at their three stages: no connector. The
# pre-ReLU output of a stage is the input of its last block's ReLU at the
# second call (residual added).
model = dict(distiller=ab(
    [module_inputs(f'backbone.layer{i}.0.relu', call=1) for i in (1, 2, 3)],
    [module_inputs(f'backbone.layer{i}.4.relu', call=1) for i in (1, 2, 3)],
    student_channels=[64, 128, 256]))
custom_hooks = [
    init_phase(
        epochs=30, trainable=['architecture.backbone'], losses=ab_losses(3))
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
