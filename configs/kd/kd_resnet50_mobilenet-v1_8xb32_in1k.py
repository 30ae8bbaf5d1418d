# KD (Hinton et al., arXiv 1503.02531), ResNet50 -> MobileNet on ImageNet
# (Table 1).
# tau 1, CE weight 0.5 and KD weight 0.5: DKD's ImageNet KD config.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.5))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', loss_weight=0.5, tau=1.0))))

# Gradients clipped at L2 norm 5: cls_KD's res50_distill_mv1_img.py (the
# config behind NKD 72.58; KD and WSLD are switches of the same file)
# clips so, on both of its branches.
optim_wrapper = dict(clip_grad=dict(max_norm=5.0, norm_type=2))
