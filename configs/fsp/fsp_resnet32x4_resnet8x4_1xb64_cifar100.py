# FSP ("A Gift from Knowledge Distillation: Fast Optimization, Network
# Minimization and Transfer Learning", CVPR 2017), ResNet32x4 -> ResNet8x4 on
# CIFAR-100, as the CRD benchmark code (RepDistiller, `--distill fsp`) runs it:
# a 30-epoch initialisation phase trains the student's backbone with the FSP
# loss alone (weight 1; SGD lr 0.05, momentum 0.9, weight decay 5e-4); then
# the 240 epochs of the CIFAR-100 recipe train the student with the
# cross-entropy only (the reference code adds no FSP term there, whatever
# its `-b` says).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    fsp, init_phase, module_outputs)

# The stem's output and the three stages' (after their ReLU), 32/64/128/256
# channels in both: three FSP matrices.
__features = [module_outputs('backbone.relu')] + [
    module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)
]
model = dict(distiller=fsp(student=__features, teacher=__features))
custom_hooks = [
    init_phase(
        epochs=30, trainable=['architecture.backbone'], losses=['loss_fsp'])
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
