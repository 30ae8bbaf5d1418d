# USKD on Swin-Tiny, ImageNet (Table 4: 81.49). alpha 1, beta 0.1, mu 0.005
# (section 4.1); the weak classifier reads the third stage's tokens (stages.2,
# 384 channels, before the stage's downsampling). The official config (cls_KD
# swin-t_sd_img.py, out_indices (0, 1, 2, 3)) takes them as a backbone output,
# i.e. after that stage's LayerNorm (backbone.norm2), and averages them:
# token_norm=True is that LayerNorm, inside the weak classifier since nothing
# else uses it. The student keeps MMPretrain's Mixup + CutMix: their soft
# labels reach USKDLoss through the head's loss inputs. Recipe: MMPretrain's
# Swin-Tiny (the baseline's).
_base_ = ['../_base_/self_distill/swin-tiny_in1k.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.stages.2')),
    connectors=dict(weak=dict(
        type='WeakClassifier', in_channels=384, pool='mean_tokens',
        token_norm=True)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss'))))
