# ResNet8x4 on CIFAR-100 trained alone (Table 1 student, 72.50). Recipe:
# CRD/DKD's (see ../_base_/cifar100_runtime.py).
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet8x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
