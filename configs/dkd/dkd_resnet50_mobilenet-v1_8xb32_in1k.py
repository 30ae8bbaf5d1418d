# DKD (decoupled KD, arXiv 2203.08679), ResNet50 -> MobileNet on ImageNet
# (Table 1).
# tau 1, beta 2, warm-up 1 epoch: DKD's ImageNet config for this pair;
# alpha 1 is DKD's default (its ImageNet configs do not set it).
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = [
    '../baseline/mobilenet-v1_8xb32_in1k.py',
    '../_base_/teachers/resnet50_in1k.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(type='MobileNetV1'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=1024,
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
                type='DKDLoss', tau=1.0, alpha=1.0, beta=2.0,
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
