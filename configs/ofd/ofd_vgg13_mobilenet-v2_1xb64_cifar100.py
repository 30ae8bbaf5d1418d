# OFD ("A Comprehensive Overhaul of Feature Distillation",
# arXiv 1904.01866), VGGNet13 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus OFD on the pre-ReLU output of each stage: margin ReLU on the
# teacher's side (margins from the teacher's BatchNorm before that ReLU, handed
# over by Parameter recorders), 1x1 conv + BN on the student's, partial L2.
# Weight 1e-3 (the OFD code's CIFAR sum / batch / 1000), each earlier stage
# halved again, as the OFD code does. OFD's reference code keeps the teacher's
# BatchNorm in train mode (batch statistics) during distillation;
# TeacherDistill keeps the whole teacher in eval mode (running statistics), as
# the other methods of the table.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_mobilenet-v2_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_inputs, module_outputs, ofd)

# Student, MobileNetV2 (x0.5): the outputs of layer2, 3, 5 and 7, whose last
# inverted residual ends in a linear projection (no ReLU). Teacher, VGG13: the
# input of the last ConvModule's ReLU in each of layer2-5 (its second conv,
# index 1), BN layerK.1.bn. The student's stages are smaller than the
# teacher's (16 vs 16, 8 vs 8, 4 vs 4, 2 vs 4): the teacher's map is
# average-pooled to the student's size where it is larger, as mdistiller runs
# OFD on such pairs.
model = dict(
    distiller=ofd(
        student=[module_outputs(f'backbone.layer{i}') for i in (2, 3, 5, 7)],
        teacher=[
            module_inputs(f'backbone.layer{i}.1.activate') for i in range(2, 6)
        ],
        teacher_bns=[f'backbone.layer{i}.1.bn' for i in range(2, 6)],
        student_channels=[12, 16, 48, 160],
        teacher_channels=[128, 256, 512, 512],
        loss_weight=1e-3,
        pool_teacher=True))
