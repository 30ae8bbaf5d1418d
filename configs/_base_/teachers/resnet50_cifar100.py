# CRD's ResNet50 (MMPretrain's ResNet_CIFAR of depth 50) on CIFAR-100, the
# teacher of Table 1's ResNet50 -> MobileNetV2 column (79.34). The network is
# written here once: configs/baseline/resnet50_1xb64_cifar100.py trains
# it, distillation bases read `teacher` and `teacher_ckpt`.
_base_ = ['./cifar100_classifier.py']

teacher = dict(
    backbone=dict(
        type='ResNet_CIFAR', depth=50, num_stages=4, out_indices=(3, )),
    head=dict(in_channels=2048))
# CRD's released teacher (RepDistiller), which produced Table 1's numbers,
# converted: `python tools/model_converters/fetch_teachers.py --only
# resnet50_cifar100` downloads it and writes this file. A teacher trained here
# instead is one --cfg-options model.teacher_ckpt=PATH away.
teacher_ckpt = 'checkpoints/cifar100/resnet50.pth'
