# USKD on RegNetX-1.6GF, ImageNet (Table 4: 77.30; Table 6 target +
# non-target; Table 9 "Normalization"). alpha 1, beta 0.1, mu 0.005; the weak
# classifier reads the third stage (layer3, 408 channels), as the official
# configs. Recipe: MMPretrain's RegNetX-1.6GF.
_base_ = ['../_base_/self_distill/regnetx-1.6gf_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layer3')),
    connectors=dict(weak=dict(type='WeakClassifier', in_channels=408)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
