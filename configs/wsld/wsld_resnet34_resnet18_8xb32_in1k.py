# WSLD (weighted soft labels, arXiv 2102.00650), ResNet34 -> ResNet18 on
# ImageNet (Table 1).
# tau 2, alpha 2.5: the official NKD repository's ImageNet values.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wsld=dict(
        type='WSLDLoss', alpha=2.5, tau=2.0))))
