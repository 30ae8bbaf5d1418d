# USKD on ShuffleNet-V2 1.0x, ImageNet (Table 3: 70.30, 8.68 min
# per epoch).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the third stage (layers.2, 464 channels): the official
# configs list 484, which is no stage width of the 1.0x model
# (116/232/464/1024). Recipe: MMPretrain's ShuffleNet-V2 1.0x (the baseline's).
_base_ = ['../_base_/self_distill/shufflenet-v2-1x_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layers.2')),
    connectors=dict(weak=dict(type='WeakClassifier', in_channels=464)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
