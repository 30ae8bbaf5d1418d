# Quick start: the student distilled from the quick-start teacher with
# Hinton's KD (MMRazor's KLDivergence: tau^2 * KL(teacher || student)).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='mmrazor.KLDivergence', loss_weight=1.0, tau=4.0))))
