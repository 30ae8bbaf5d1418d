# USKD target loss alone on ResNet-18 (the base of Table 8). No weak
# classifier is built: without L_non nothing needs its rank (nor L_weak).
_base_ = ['./uskd_resnet18_8xb32_in1k.py']

# No weak classifier, hence no middle feature: only the target term.
model = dict(distiller=dict(
    student_recorders=dict(_delete_=True), connectors=dict(_delete_=True),
    distill_losses=dict(loss_uskd=dict(non_target='none'))))
