# KD (Hinton et al., arXiv 1503.02531), VGGNet13 -> VGGNet8 on CIFAR-100 (Table
# 1).
# tau 4, CE weight 0.1 and KD weight 0.9: DKD's CIFAR-100 KD config.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = [
    '../baseline/vgg8_1xb64_cifar100.py',
    '../_base_/teachers/vgg13_cifar100.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARVGG', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.1),
            topk=(1, 5))),
    teacher={{_base_.teacher}},
    teacher_ckpt={{_base_.teacher_ckpt}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
