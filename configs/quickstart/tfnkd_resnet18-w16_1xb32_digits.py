# Quick start: tf-NKD (arXiv 2208.10139) on the quick-start student, no
# teacher: USKD's unsquared target term S_t + V_t - mean(S_t) alone (Table 8,
# row 1 of arXiv 2303.13005); no weak classifier, no non-target term.
# alpha 1: USKD's ImageNet value (the tf-NKD results are on ImageNet).
_base_ = ['../_base_/self_distill/resnet18-w16_digits.py']

model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_tfnkd=dict(
                type='USKDLoss', alpha=1.0, target='linear',
                non_target='none'))))
