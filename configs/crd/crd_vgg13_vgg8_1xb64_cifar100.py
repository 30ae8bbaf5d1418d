# CRD (contrastive representation distillation,
# arXiv 1910.10699), VGGNet13 -> VGGNet8 on CIFAR-100 (Table 1).
# CE weight 1 plus CRD (weight 0.8), as the CRD paper's CIFAR-100 runs.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import crd, crd_dataset  # noqa: E402

train_dataloader = dict(
    dataset=crd_dataset({{_base_.train_dataloader.dataset}}))
# Pooled features of 512 (student) and 512 (teacher) channels; a memory-bank
# row per training image of CIFAR-100.
model = dict(distiller=crd(512, 512, num_samples=50000, loss_weight=0.8))
