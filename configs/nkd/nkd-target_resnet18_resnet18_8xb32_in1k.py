# Table 8, "Trained ResNet-18" (70.75): NKD's target term alone (-T_t log S_t)
# with MMPretrain's trained ResNet-18 (69.90) as the teacher.
_base_ = ['./nkd-target_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    teacher=dict(backbone=dict(depth=18)),
    teacher_ckpt='https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')
