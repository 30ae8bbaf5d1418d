# Table 6, "Target" only: USKD's target loss (Eqs. 6-7) alone. No weak
# classifier is built: without L_non nothing needs its rank (nor L_weak).
_base_ = ['./uskd_mobilenet-v1_8xb32_in1k.py']

# No weak classifier, hence no middle feature: only the target term.
model = dict(distiller=dict(
    student_recorders=dict(_delete_=True), connectors=dict(_delete_=True),
    distill_losses=dict(loss_uskd=dict(non_target='none'))))
