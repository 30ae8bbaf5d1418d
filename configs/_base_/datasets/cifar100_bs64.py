# CIFAR-100 as CRD and DKD train on it: 64 images per step, RandomCrop 32
# with 4 pixels of padding and a horizontal flip, no test-time transform.
_base_ = ['mmpretrain::_base_/datasets/cifar100_bs16.py']

train_dataloader = dict(
    batch_size=64, dataset=dict(data_root='data/cifar100'))
val_dataloader = dict(
    batch_size=64, dataset=dict(data_root='data/cifar100'))
test_dataloader = val_dataloader
