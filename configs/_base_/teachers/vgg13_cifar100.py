# VGG13 on CIFAR-100 as a teacher (Table 1: 74.64), written inline so that
# --cfg-options reaches it; same network as
# configs/baseline/vgg13_1xb64_cifar100.py.
teacher = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=13),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# Written by `python tools/train.py configs/baseline/vgg13_1xb64_cifar100.py`.
# Holders of the teacher released with CRD convert it instead:
# python tools/model_converters/convert_cifar_teacher.py SRC DST --arch vgg13
# and point teacher_ckpt at DST.
teacher_ckpt = 'work_dirs/vgg13_1xb64_cifar100/epoch_240.pth'
