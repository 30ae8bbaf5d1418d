# ResNet8x4 on CIFAR-100 trained alone (Table 1 student, 72.50). Recipe:
# CRD/DKD's (see ../_base_/cifar100_runtime.py).
_base_ = [
    '../_base_/models/cifar100_classifier.py',
    '../_base_/cifar100_runtime.py',
]

model = dict(backbone=dict(type='ResNet8x4'), head=dict(in_channels=256))
