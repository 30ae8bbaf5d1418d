# WSLD (weighted soft labels, arXiv 2102.00650), ResNet50 -> MobileNet on
# ImageNet (Table 1).
# tau 2, alpha 2.5: the official NKD repository's ImageNet values.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wsld=dict(
        type='WSLDLoss', alpha=2.5, tau=2.0))))

# Gradients clipped at L2 norm 5: cls_KD's res50_distill_mv1_img.py (the
# config behind NKD 72.58; KD and WSLD are switches of the same file)
# clips so, on both of its branches.
optim_wrapper = dict(clip_grad=dict(max_norm=5.0, norm_type=2))
