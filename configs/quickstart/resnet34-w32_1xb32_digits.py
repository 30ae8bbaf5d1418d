# Quick start: the teacher, ResNet_CIFAR-34 at half width, trained alone (the
# student's data, schedule and runtime; the network of its teacher base).
_base_ = [
    './resnet18-w16_1xb32_digits.py',
    '../_base_/teachers/resnet34-w32_digits.py',
]
model = {{_base_.teacher}}
# The teacher base's helper keys: nothing here distils.
teacher = None
teacher_ckpt = None
