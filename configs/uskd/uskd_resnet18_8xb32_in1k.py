# USKD on ResNet-18, ImageNet (Table 2: 70.79; Table 9 "Normalization").
# Section 4.1: alpha 1, beta 0.1, mu 0.005. The weak classifier reads
# layer3 (256 channels), as the official configs.
_base_ = ['../_base_/self_distill/resnet18_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layer3')),
    connectors=dict(weak=dict(type='WeakClassifier', in_channels=256)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
