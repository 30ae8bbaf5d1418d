# ResNet32x4 on CIFAR-100, the teacher of Table 1's ResNet32x4 column (79.42).
# The network is written here once:
# configs/baseline/resnet32x4_1xb64_cifar100.py trains it, distillation bases
# read `teacher` and `teacher_ckpt`.
_base_ = ['./cifar100_classifier.py']

teacher = dict(backbone=dict(type='ResNet32x4'), head=dict(in_channels=256))
# CRD's released teacher (RepDistiller), which produced Table 1's numbers,
# converted: `python tools/model_converters/fetch_teachers.py --only
# resnet32x4_cifar100` downloads it and writes this file. A teacher trained
# here instead is one --cfg-options model.teacher_ckpt=PATH away.
teacher_ckpt = 'checkpoints/cifar100/resnet32x4.pth'
