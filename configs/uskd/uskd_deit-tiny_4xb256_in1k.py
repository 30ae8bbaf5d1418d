# USKD on DeiT-Tiny, ImageNet (Table 4: 74.97): the ViT path. Section 4.1:
# alpha 1, beta 0.1, mu 0.005. The weak classifier reads the class token after
# block 6 of 12 (index 5, before the final norm), 192 channels, as the
# official config. The student keeps MMPretrain's Mixup + CutMix: their soft
# labels reach USKDLoss through the head's loss inputs.
_base_ = ['../_base_/self_distill/deit-tiny_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(
        logits=dict(source='head.layers.head'),
        middle=dict(source='backbone.layers.5')),
    connectors=dict(weak=dict(
        type='WeakClassifier', in_channels=192, pool='cls_token')),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
