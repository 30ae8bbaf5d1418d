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
# CRD's released teacher (RepDistiller), which produced Table 1's numbers,
# converted: `python tools/model_converters/fetch_teachers.py --only
# vgg13_cifar100` downloads it and writes this file. A teacher trained
# here instead (configs/baseline/vgg13_1xb64_cifar100.py) is one
# --cfg-options model.teacher_ckpt=work_dirs/.../best_accuracy_top1_epoch_N.pth
# away.
teacher_ckpt = 'checkpoints/cifar100/vgg13.pth'
