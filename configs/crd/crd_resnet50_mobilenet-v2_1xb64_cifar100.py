# CRD (contrastive representation distillation,
# arXiv 1910.10699), ResNet50 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus CRD (weight 0.8), as the CRD paper's CIFAR-100 runs.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet50_mobilenet-v2_cifar100.py']

from mmcls_kd.models.distillers.wiring import crd, crd_dataset  # noqa: E402

train_dataloader = dict(
    dataset=crd_dataset({{_base_.train_dataloader.dataset}}))
# Pooled features of 1280 (student) and 2048 (teacher) channels; a memory-bank
# row per training image of CIFAR-100.
model = dict(distiller=crd(1280, 2048, num_samples=50000, loss_weight=0.8))
