# OFD ("A Comprehensive Overhaul of Feature Distillation",
# arXiv 1904.01866), ResNet32x4 -> ResNet8x4 on CIFAR-100 (Table 1).
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
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_inputs, ofd  # noqa: E402

# Student, ResNet8x4: one basic block per stage; the input of its ReLU at the
# second call (call 1). Teacher, ResNet32x4: five basic blocks per stage; the
# input of the last block's ReLU at its second call (residual added), BN bn2.
__teacher = [f'backbone.layer{i}.4' for i in (1, 2, 3)]
model = dict(
    distiller=ofd(
        student=[
            module_inputs(f'backbone.layer{i}.0.relu', call=1)
            for i in (1, 2, 3)
        ],
        teacher=[module_inputs(f'{b}.relu', call=1) for b in __teacher],
        teacher_bns=[f'{b}.bn2' for b in __teacher],
        student_channels=[64, 128, 256],
        teacher_channels=[64, 128, 256],
        loss_weight=1e-3))
