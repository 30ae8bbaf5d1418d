# KD (Hinton et al., arXiv 1503.02531), ResNet34 -> ResNet18 on ImageNet (Table
# 1).
# tau 1, CE weight 0.5 and KD weight 0.5: DKD's ImageNet KD config.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.5))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', loss_weight=0.5, tau=1.0))))
