# USKD on MobileNet-V2, ImageNet (Table 3: 72.41, 10.18 min per
# epoch).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the last inverted-residual stage (layer7, 320 channels),
# as the official configs. Recipe: MMPretrain's MobileNet-V2 (the baseline's).
_base_ = ['../_base_/self_distill/mobilenet-v2_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layer7')),
    connectors=dict(weak=dict(type='WeakClassifier', in_channels=320)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
