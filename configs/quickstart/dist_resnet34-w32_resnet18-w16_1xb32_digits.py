# Quick start: the student distilled from the quick-start teacher with DIST
# (Pearson correlations of the softened predictions, per sample and per
# class). tau 4, beta = gamma = 1, DIST weight 2, CE weight 1: the official
# DIST code's CIFAR-100 values.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dist=dict(
        type='DISTLoss', tau=4.0, beta=1.0, gamma=1.0, loss_weight=2.0))))
