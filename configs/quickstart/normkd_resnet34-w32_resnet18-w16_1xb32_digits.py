# Quick start: the student distilled from the quick-start teacher with
# NormKD (a temperature per sample). T_norm 2.0 with KD weight 0.9 and CE
# weight 0.1: the NormKD code's CIFAR-100 values.
_base_ = ['./kd_resnet34-w32_resnet18-w16_1xb32_digits.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(
        distill_losses=dict(
            _delete_=True,
            loss_normkd=dict(type='NormKDLoss', t_norm=2.0, loss_weight=0.9)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_normkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
