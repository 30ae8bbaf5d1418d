# Quick start: Tf-KD_self, the quick-start student distilled from a trained
# copy of itself. Tf-KD's CIFAR-100 ResNet-18 values: alpha 0.95 (CE weight
# 0.05), tau 6, multiplier 50. Its KD term uses nn.KLDivLoss(), the mean
# over N x K elements, times tau^2 and the multiplier: with KDLoss (the
# batch mean of tau^2 * KL) that is loss_weight = 0.95 * 50 / K, 0.475 at
# CIFAR-100's K = 100, kept here.
_base_ = ['./resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone={{_base_.model.backbone}},
        neck={{_base_.model.neck}},
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.05))),
    teacher={{_base_.model}},
    # Written by training the student alone:
    # `python tools/train.py configs/quickstart/resnet18-w16_1xb32_digits.py`
    teacher_ckpt='work_dirs/resnet18-w16_1xb32_digits/epoch_10.pth',
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', tau=6.0, loss_weight=0.475)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
