# NKD, ResNet-34 -> ResNet-18 on ImageNet (Table 1: 71.96; Table 5's last
# column). Loss values from section 4.1: gamma 1.5, temperature (tau) 1.
# Student recipe: MMPretrain's ResNet-18 (100 epochs, 8 x 32, SGD lr 0.1).
_base_ = ['../baseline/resnet18_8xb32_in1k.py']

# MMPretrain's released ResNet-34 (73.62 top-1).
teacher_ckpt = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet34_8xb32_in1k_20210831-f257d4e6.pth'  # noqa: E501

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture={{_base_.model}},
    teacher=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet', depth=34, num_stages=4, out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            # (cls_score, target): the target is the hard or the
            # Mixup/CutMix label the student's loss receives.
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_nkd=dict(type='NKDLoss', tau=1.0, gamma=1.5,
                          non_target='normalized')),
        loss_forward_mappings=dict(
            loss_nkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
