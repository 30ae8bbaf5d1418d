# MobileNetV2 at width 0.5 (CRD's mobile_half) on CIFAR-100 trained alone
# (Table 1 student of both MobileNetV2 columns, 64.60). Recipe: CRD/DKD's
# (see ../_base_/cifar100_runtime.py) with lr 0.01, DKD's value for
# MobileNet/ShuffleNet students.
_base_ = [
    '../_base_/models/cifar100_classifier.py',
    '../_base_/cifar100_runtime.py',
]

model = dict(
    backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
    head=dict(in_channels=1280))

optim_wrapper = dict(optimizer=dict(lr=0.01))
