# NKD, ResNet-34 -> ResNet-18 on ImageNet (Table 1: 71.96; Table 5's last
# column). Loss values from section 4.1: gamma 1.5, temperature (tau) 1.
# Student recipe: MMPretrain's ResNet-18 (100 epochs, 8 x 32, SGD lr 0.1).
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(
        type='NKDLoss', gamma=1.5, non_target='normalized', tau=1.0))))
