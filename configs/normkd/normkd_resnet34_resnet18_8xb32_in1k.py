# NormKD (arXiv 2308.00520), ResNet-34 -> ResNet-18 on ImageNet: KD with a
# per-sample temperature t_norm * std(logits). In no table of the NKD/USKD
# paper. Values from the NormKD authors' code for this pair: t_norm 1.0,
# cross-entropy 0.5 + distillation 0.5 (the KD config's weights).
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.5))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='NormKDLoss', loss_weight=0.5, t_norm=1.0))))
