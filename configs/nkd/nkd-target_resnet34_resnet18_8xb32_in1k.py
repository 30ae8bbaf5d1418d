# Table 5, target loss only: -T_t log S_t (Eq. 4 without its non-target term).
_base_ = ['./nkd_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(non_target='none'))))
