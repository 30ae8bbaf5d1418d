# CRD's ResNet50 (MMPretrain's ResNet_CIFAR of depth 50) on CIFAR-100, the
# teacher of Table 1's ResNet50 -> MobileNetV2 column (79.34). Recipe:
# CRD/DKD's (see ../_base_/cifar100_runtime.py). Holders of the CRD release
# can convert it instead: tools/model_converters/convert_cifar_teacher.py
# --arch ResNet50.
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=50, num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
