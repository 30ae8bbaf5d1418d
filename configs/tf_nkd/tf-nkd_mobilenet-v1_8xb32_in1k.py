# tf-NKD (arXiv 2208.10139, the teacher-free NKD that preceded USKD) on
# MobileNet: the student's unsquared smoothed target S_t + V_t - mean(S_t)
# as soft target, target term only, no weak classifier.
_base_ = ['../uskd/uskd-target_mobilenet-v1_8xb32_in1k.py']

model = dict(distiller=dict(distill_losses=dict(loss_uskd=dict(
    target='linear'))))
