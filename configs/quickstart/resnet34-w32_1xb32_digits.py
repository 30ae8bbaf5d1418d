# Quick start: the teacher, ResNet_CIFAR-34 at half width, trained alone.
_base_ = ['./resnet18-w16_1xb32_digits.py']
model = dict(
    backbone=dict(depth=34, stem_channels=32, base_channels=32),
    head=dict(in_channels=256))
