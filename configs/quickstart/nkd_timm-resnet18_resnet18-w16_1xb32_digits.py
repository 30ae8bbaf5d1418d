# Quick start: the student distilled from the timm teacher with NKD (gamma 1.5
# and tau 1, the paper's ImageNet values, as the NKD quick start).
_base_ = ['../_base_/distill/timm-resnet18_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(
        type='NKDLoss', gamma=1.5, tau=1.0))))
