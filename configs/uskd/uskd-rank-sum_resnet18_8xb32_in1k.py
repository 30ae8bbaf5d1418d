# Table 9, "Combination": W_i + S_i, weak and final logit without the
# normalisation of Eq. 10.
_base_ = ['./uskd_resnet18_8xb32_in1k.py']

model = dict(distiller=dict(distill_losses=dict(loss_uskd=dict(rank='sum'))))
