# Table 6, "Non-target" only: L_non (Eqs. 10-12) and the weak supervision
# L_weak its rank needs (Eq. 9); no target loss.
_base_ = ['./uskd_mobilenet-v1_8xb32_in1k.py']

model = dict(distiller=dict(distill_losses=dict(loss_uskd=dict(
    target='none'))))
