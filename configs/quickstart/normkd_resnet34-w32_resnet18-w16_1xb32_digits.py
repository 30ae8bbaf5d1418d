# Quick start: the student distilled from the quick-start teacher with
# NormKD (a temperature per sample). T_norm 2.0 with KD weight 0.9 and CE
# weight 0.1: the NormKD code's CIFAR-100 values.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_normkd=dict(
        type='NormKDLoss', loss_weight=0.9, t_norm=2.0))))
