# Quick start: the student distilled from the quick-start teacher with WSLD
# (weighted soft labels). tau 4, alpha 2.25: the official NKD repository's
# CIFAR-100 values.
_base_ = ['./kd_resnet34-w32_resnet18-w16_1xb32_digits.py']

model = dict(
    distiller=dict(
        student_recorders=dict(
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            _delete_=True,
            loss_wsld=dict(type='WSLDLoss', tau=4.0, alpha=2.25)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_wsld=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
