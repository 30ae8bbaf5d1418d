# Quick start: the student distilled from the quick-start teacher with WTTM
# (the unsoftened student matches the teacher's power-transformed
# distribution, each sample weighted by the transform's power sum).
# tau 5 (gamma 0.2), WTTM weight 4, CE weight 1: the official README's only
# WTTM values (GUESS for this pair, see configs/wttm).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wttm=dict(
        type='WTTMLoss', tau=5.0, loss_weight=4.0))))
