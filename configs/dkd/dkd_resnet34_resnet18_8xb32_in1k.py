# DKD (decoupled KD, arXiv 2203.08679), ResNet34 -> ResNet18 on ImageNet (Table
# 1).
# tau 1, beta 0.5, warm-up 1 epoch: DKD's ImageNet config for this pair;
# alpha 1 is DKD's default (its ImageNet configs do not set it).
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
            loss_dkd=dict(
                type='DKDLoss', tau=1.0, alpha=1.0, beta=0.5,
                warmup_epochs=1)),
        loss_forward_mappings=dict(
            loss_dkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')

# Sets the loss's warm-up factor from the runner's epoch.
custom_hooks = [dict(type='DistillLossWarmupHook')]
