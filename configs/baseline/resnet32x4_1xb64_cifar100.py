# ResNet32x4 on CIFAR-100, the teacher of Table 1's ResNet32x4 column
# (79.42). Recipe: CRD/DKD's (see ../_base_/cifar100_runtime.py). Holders of
# the CRD release can convert it instead:
# tools/model_converters/convert_cifar_teacher.py --arch resnet32x4.
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet32x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
