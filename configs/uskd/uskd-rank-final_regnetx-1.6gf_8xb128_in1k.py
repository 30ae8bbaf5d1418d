# Table 9, "Final Logit": the final logit alone ranks the non-target classes.
_base_ = ['./uskd_regnetx-1.6gf_8xb128_in1k.py']

model = dict(distiller=dict(distill_losses=dict(loss_uskd=dict(rank='final'))))
