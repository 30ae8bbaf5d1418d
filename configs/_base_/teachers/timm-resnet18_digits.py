# The quick-start timm teacher: timm's `resnet18` (MMPretrain's
# TimmClassifier) for 1-channel digits. timm has no digits weights, so the
# network is trained by configs/quickstart/timm-resnet18_1xb32_digits.py; its
# `pretrained_cfg` is overlaid with the preprocessing it is trained with, which
# is not the student's (8x8, mean 78.1 and std 96.1 on 0-255): distillation
# converts the student's batch to it (teacher_input.py).
teacher = dict(
    type='TimmClassifier',
    model_name='resnet18',
    pretrained=False,
    num_classes=10,
    in_chans=1,
    # Chosen to exercise every step of the conversion: another size (the
    # ResNet stem divides by 32), another interpolation, another mean/std.
    pretrained_cfg_overlay=dict(
        input_size=(1, 32, 32),
        interpolation='bicubic',
        mean=(0.5, ),
        std=(0.5, )),
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
# Written by `python tools/train.py
# configs/quickstart/timm-resnet18_1xb32_digits.py`.
teacher_ckpt = 'work_dirs/timm-resnet18_1xb32_digits/epoch_10.pth'
