# VGG13 (BN) on CIFAR-100, the teacher of Table 1's VGGNet13 columns (74.64).
# Recipe: CRD/DKD's (see ../_base_/cifar100_runtime.py), with which their
# released teachers were trained. The network comes from its teacher base,
# where distillation configs read it too.
_base_ = [
    '../_base_/teachers/vgg13_cifar100.py',
    '../_base_/cifar100_runtime.py',
]

model = {{_base_.teacher}}
# The teacher base's helper keys: nothing here distils.
teacher = None
teacher_ckpt = None
