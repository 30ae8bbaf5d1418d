# WSLD (weighted soft labels, arXiv 2102.00650), ResNet34 -> ResNet18 on
# ImageNet (Table 1).
# tau 2, alpha 2.5: the official NKD repository's ImageNet values.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = [
    '../baseline/resnet18_8xb32_in1k.py',
    '../_base_/teachers/resnet34_in1k.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet', depth=18, num_stages=4, out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher={{_base_.teacher}},
    teacher_ckpt={{_base_.teacher_ckpt}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_wsld=dict(type='WSLDLoss', tau=2.0, alpha=2.5)),
        loss_forward_mappings=dict(
            loss_wsld=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
