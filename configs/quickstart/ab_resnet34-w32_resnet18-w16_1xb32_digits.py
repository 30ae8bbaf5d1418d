# Quick start: the student distilled from the quick-start teacher with AB
# ("Knowledge Transfer via Distillation of Activation Boundaries Formed by
# Hidden Neurons", arXiv 1811.03233), as the CRD benchmark code runs it: an
# initialisation phase trains the student's backbone and the connectors with
# the AB loss on the pre-ReLU output of each of the four stages alone (the
# input of the last block's ReLU at its second call), then the schedule
# trains the student with the cross-entropy only.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ab, ab_connectors, ab_losses, init_phase, module_inputs)

# ResNet_CIFAR-18 w16 (two blocks a stage) and -34 w32 (3/4/6/3 blocks; the
# last block of each stage is recorded): the teacher has twice the channels,
# so each student feature goes through a 1x1 conv + BN connector.
__student_channels, __teacher_channels = [16, 32, 64, 128], [32, 64, 128, 256]
model = dict(distiller=ab(
    [module_inputs(f'backbone.layer{i}.1.relu', call=1) for i in (1, 2, 3, 4)],
    [module_inputs(f'backbone.layer{i}.{b}.relu', call=1)
     for i, b in ((1, 2), (2, 3), (3, 5), (4, 2))],
    __student_channels, __teacher_channels))
# One epoch before the ten of the schedule (the reference code: 30 before
# 240).
custom_hooks = [
    init_phase(
        epochs=1,
        trainable=['architecture.backbone'] +
        ab_connectors(__student_channels, __teacher_channels),
        losses=ab_losses(4))
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
