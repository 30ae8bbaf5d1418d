# Quick start: the student distilled from the quick-start teacher with DKD.
# tau 4, alpha 1, beta 8: DKD's CIFAR-100 values. Warm-up: DKD's 20 of 240
# epochs scaled to the 10 epochs here and rounded up; the hook sets the
# factor from the runner's epoch (1/2, then 1).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dkd=dict(
        type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=2))))
