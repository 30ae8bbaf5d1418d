# VGG8 (BN) on CIFAR-100 trained alone (Table 1 student, 70.36). Recipe:
# CRD/DKD's (see ../_base_/cifar100_runtime.py).
_base_ = [
    '../_base_/models/cifar100_classifier.py',
    '../_base_/cifar100_runtime.py',
]

model = dict(
    backbone=dict(type='CIFARVGG', depth=8), head=dict(in_channels=512))
