# CRD's ResNet50 (ResNet_CIFAR-50) on CIFAR-100 as a teacher (Table 1:
# 79.34), written inline so that --cfg-options reaches it; same network as
# configs/baseline/resnet50_1xb64_cifar100.py.
teacher = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=50, num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# Written by `python tools/train.py
# configs/baseline/resnet50_1xb64_cifar100.py`.
# Holders of the teacher released with CRD convert it instead:
# python tools/model_converters/convert_cifar_teacher.py SRC DST --arch
# ResNet50
# and point teacher_ckpt at DST.
teacher_ckpt = 'work_dirs/resnet50_1xb64_cifar100/epoch_240.pth'
