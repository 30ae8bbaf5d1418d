# Quick start: the student distilled from the quick-start teacher with KD on
# standardised logits (logit standardisation: each sample's logits z-scored
# before the softmax). Base temperature 2, KD weight 9, CE weight 0.1: the
# official code's CIFAR-100 values.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', tau='zscore', t_norm=2.0, loss_weight=9.0))))
