# MobileNetV2 at width 0.5 (CRD's mobile_half) on CIFAR-100 trained alone
# (Table 1 student of both MobileNetV2 columns, 64.60). Recipe: CRD/DKD's
# (see ../_base_/cifar100_runtime.py) with lr 0.01, DKD's value for
# MobileNet/ShuffleNet students.
_base_ = ['../_base_/cifar100_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

optim_wrapper = dict(optimizer=dict(lr=0.01))
