# Quick start: the student distilled from the quick-start teacher with FSP
# ("A Gift from Knowledge Distillation: Fast Optimization, Network
# Minimization and Transfer Learning", CVPR 2017), as the CRD benchmark code
# runs it: an initialisation phase trains the student's backbone with the FSP
# loss alone, then the schedule trains it with the cross-entropy only.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    fsp, init_phase, module_outputs)

# FSP compares matrices of equal channels, and the teacher (w32) has twice the
# student's (w16) at every stage: student stages 2-4 (32/64/128 channels) are
# paired with teacher stages 1-3 (the same widths). The CIFAR configs pair
# equal stages of equal widths. One epoch before the ten of the schedule (the
# reference code: 30 before 240).
model = dict(
    distiller=fsp(
        student=[module_outputs(f'backbone.layer{i}') for i in (2, 3, 4)],
        teacher=[module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]))
custom_hooks = [
    init_phase(
        epochs=1, trainable=['architecture.backbone'], losses=['loss_fsp'])
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
