# Quick start: the student distilled from the quick-start teacher with
# Hinton's KD (MMRazor's KLDivergence: tau^2 * KL(teacher || student)).
_base_ = [
    './resnet18-w16_1xb32_digits.py',
    '../_base_/quickstart_teacher.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    # The student config, whole: its data preprocessor and train_cfg (batch
    # augments) come with it.
    architecture={{_base_.model}},
    teacher={{_base_.teacher}},
    teacher_ckpt={{_base_.teacher_ckpt}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='mmrazor.KLDivergence', tau=4.0,
                         loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
