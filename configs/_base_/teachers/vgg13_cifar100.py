# VGG13 (BN) on CIFAR-100, the teacher of Table 1's VGGNet13 columns (74.64).
# The network is written here once: configs/baseline/vgg13_1xb64_cifar100.py
# trains it, distillation bases read `teacher` and `teacher_ckpt`.
_base_ = ['./cifar100_classifier.py']

teacher = dict(
    backbone=dict(type='CIFARVGG', depth=13), head=dict(in_channels=512))
# CRD's released teacher (RepDistiller), which produced Table 1's numbers,
# converted: `python tools/model_converters/fetch_teachers.py --only
# vgg13_cifar100` downloads it and writes this file. A teacher trained here
# instead is one --cfg-options model.teacher_ckpt=PATH away.
teacher_ckpt = 'checkpoints/cifar100/vgg13.pth'
