# VGG8 (BN) on CIFAR-100 trained alone (Table 1 student, 70.36). Recipe:
# CRD/DKD's (see ../_base_/cifar100_runtime.py).
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
