# CRD (contrastive representation distillation,
# arXiv 1910.10699), ResNet34 -> ResNet18 on ImageNet (Table 1).
# CE weight 1 plus CRD (weight 0.8), as the CRD paper's CIFAR-100 runs.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

from mmcls_kd.models.distillers.wiring import crd, crd_dataset  # noqa: E402

train_dataloader = dict(
    dataset=crd_dataset({{_base_.train_dataloader.dataset}}))
# Pooled features of 512 (student) and 512 (teacher) channels; a memory-bank
# row per training image of ImageNet.
model = dict(distiller=crd(512, 512, num_samples=1281167, loss_weight=0.8))
