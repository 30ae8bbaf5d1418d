# OFD ("A Comprehensive Overhaul of Feature Distillation",
# arXiv 1904.01866), ResNet34 -> ResNet18 on ImageNet (Table 1).
# CE weight 1 plus OFD on the pre-ReLU output of each stage: margin ReLU on the
# teacher's side (margins from the teacher's BatchNorm before that ReLU, handed
# over by Parameter recorders), 1x1 conv + BN on the student's, partial L2.
# Weight 1e-4 (mdistiller's ImageNet OFD config), each earlier stage halved
# again, as the OFD code does. OFD's reference code keeps the teacher's
# BatchNorm in train mode (batch statistics) during distillation;
# TeacherDistill keeps the whole teacher in eval mode (running statistics), as
# the other methods of the table.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

from mmcls_kd.models.distillers.wiring import module_inputs, ofd  # noqa: E402

# Student, ResNet18, and teacher, ResNet34: the input of each stage's last
# basic-block ReLU at its second call (call 1, residual added); the teacher's
# BN bn2 before it.
__teacher = ['backbone.layer1.2', 'backbone.layer2.3', 'backbone.layer3.5',
             'backbone.layer4.2']
model = dict(
    distiller=ofd(
        student=[
            module_inputs(f'backbone.layer{i}.1.relu', call=1)
            for i in (1, 2, 3, 4)
        ],
        teacher=[module_inputs(f'{b}.relu', call=1) for b in __teacher],
        teacher_bns=[f'{b}.bn2' for b in __teacher],
        student_channels=[64, 128, 256, 512],
        teacher_channels=[64, 128, 256, 512],
        loss_weight=1e-4))
