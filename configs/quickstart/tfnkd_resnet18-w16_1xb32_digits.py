# Quick start: tf-NKD (arXiv 2208.10139) on the quick-start student, no
# teacher: USKD's unsquared target term S_t + V_t - mean(S_t) alone (Table 8,
# row 1 of arXiv 2303.13005); no weak classifier, no non-target term.
# alpha 1: USKD's ImageNet value (the tf-NKD results are on ImageNet).
_base_ = ['./resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            loss_tfnkd=dict(
                type='USKDLoss', alpha=1.0, target='linear',
                non_target='none')),
        loss_forward_mappings=dict(
            loss_tfnkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
