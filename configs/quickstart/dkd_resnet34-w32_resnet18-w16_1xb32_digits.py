# Quick start: the student distilled from the quick-start teacher with DKD.
# tau 4, alpha 1, beta 8: DKD's CIFAR-100 values. Warm-up: DKD's 20 of 240
# epochs scaled to the 10 epochs here and rounded up; the hook sets the
# factor from the runner's epoch (1/2, then 1).
_base_ = ['./kd_resnet34-w32_resnet18-w16_1xb32_digits.py']

model = dict(
    distiller=dict(
        student_recorders=dict(
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            _delete_=True,
            loss_dkd=dict(
                type='DKDLoss', tau=4.0, alpha=1.0, beta=8.0,
                warmup_epochs=2)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_dkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

custom_hooks = [dict(type='DistillLossWarmupHook')]
