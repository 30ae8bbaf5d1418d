# CRD (contrastive representation distillation,
# arXiv 1910.10699), ResNet50 -> MobileNet on ImageNet (Table 1).
# CE weight 1 plus CRD (weight 0.8), as the CRD paper's CIFAR-100 runs.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

from mmcls_kd.models.distillers.wiring import crd, crd_dataset  # noqa: E402

train_dataloader = dict(
    dataset=crd_dataset({{_base_.train_dataloader.dataset}}))
# Pooled features of 1024 (student) and 2048 (teacher) channels; a memory-bank
# row per training image of ImageNet.
model = dict(distiller=crd(1024, 2048, num_samples=1281167, loss_weight=0.8))
