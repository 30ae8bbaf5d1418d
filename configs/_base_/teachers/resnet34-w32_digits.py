# The quick-start teacher, ResNet_CIFAR-34 at half width on 8x8 digits. The
# network is written here once: configs/quickstart/resnet34-w32_1xb32_digits.py
# trains it, distillation bases read `teacher` and `teacher_ckpt`.
teacher = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=34,
        in_channels=1,
        stem_channels=32,
        base_channels=32,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# Written by `python tools/train.py
# configs/quickstart/resnet34-w32_1xb32_digits.py`.
teacher_ckpt = 'work_dirs/resnet34-w32_1xb32_digits/epoch_10.pth'
