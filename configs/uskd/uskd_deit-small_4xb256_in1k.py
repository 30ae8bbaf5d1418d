# USKD on DeiT-Small, ImageNet (Table 4: 80.77).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the class token after block 6 of 12
# (index 5, before the final norm), 384 channels: the official DeiT-Tiny
# choice (L/2 - 1) at DeiT-Small's width. The student keeps MMPretrain's
# Mixup + CutMix: their soft labels reach USKDLoss through the head's loss
# inputs. Recipe: MMPretrain's DeiT-Small (the baseline's).
_base_ = ['../_base_/self_distill/deit-small_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(
        logits=dict(source='head.layers.head'),
        middle=dict(source='backbone.layers.5')),
    connectors=dict(weak=dict(
        type='WeakClassifier', in_channels=384, pool='cls_token')),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
