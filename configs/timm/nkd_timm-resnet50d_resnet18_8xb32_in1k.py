# NKD from a timm teacher (resnet50d.ra4_e3600_r224_in1k, timm's weights) to
# MMPretrain's ResNet-18 on ImageNet. Loss values: the paper's ImageNet ones
# (section 4.1: gamma 1.5, temperature 1), given for ResNet-34 -> ResNet-18;
# GUESS: kept for this stronger teacher, no source tunes them for it.
# Student recipe: MMPretrain's ResNet-18 (100 epochs, 8 x 32, SGD lr 0.1).
_base_ = ['../_base_/distill/timm-resnet50d_resnet18_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(
        type='NKDLoss', gamma=1.5, non_target='normalized', tau=1.0))))
