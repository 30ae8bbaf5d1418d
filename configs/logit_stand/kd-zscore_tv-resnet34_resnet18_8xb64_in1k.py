# KD with logit standardisation ("Logit Standardization in Knowledge
# Distillation", arXiv 2403.01427), ResNet-34 -> ResNet-18 on ImageNet. In
# no table of the NKD/USKD paper; its paper reports this pair, but no source
# reachable here prints the number (see README.md).
# The official README's ImageNet command (sunshangquan/logit-standardization-
# KD: configs/imagenet/r34_r18/kd.yaml --logit-stand --base-temp 2
# --kd-weight 9; log logs/imagenet/r34_r18_kd_ours.txt): both models'
# logits z-scored per sample (tau='zscore'), base temperature 2, KD weight
# 9, CE weight 1 (kd.yaml's), on mdistiller's recipe, that of
# ../kd/kd_tv-resnet34_resnet18_8xb64_in1k.py: torchvision's ResNet-34
# teacher, batch 512 (8 x 64), SGD lr 0.2, momentum 0.9, weight decay 1e-4,
# 100 epochs, lr x0.1 at 30/60/90.
_base_ = ['../kd/kd_tv-resnet34_resnet18_8xb64_in1k.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=1.0))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        tau='zscore', t_norm=2.0, loss_weight=9.0))))
