# VGG13 (BN) on CIFAR-100, the teacher of Table 1's VGGNet13 columns (74.64).
# Recipe: CRD/DKD's (see ../_base_/cifar100_runtime.py), with which their
# released teachers were trained. Holders of the CRD release can convert
# vgg13 instead: tools/model_converters/convert_cifar_teacher.py --arch vgg13.
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=13),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
