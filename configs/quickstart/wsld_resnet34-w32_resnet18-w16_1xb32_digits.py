# Quick start: the student distilled from the quick-start teacher with WSLD
# (weighted soft labels). tau 4, alpha 2.25: the official NKD repository's
# CIFAR-100 values.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wsld=dict(
        type='WSLDLoss', alpha=2.25, tau=4.0))))
