# ResNet_CIFAR-18 on CIFAR-100 trained alone (Table 2, CIFAR-100 baseline
# 78.58), with the recipe of the USKD paper's own log: 8 x 16 = 128 images per
# step, SGD lr 0.1, weight decay 5e-4, 200 epochs, lr x0.2 at 60/120/160.
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py',
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mmcls_kd'], allow_failed_imports=False)
default_scope = 'mmcls_kd'
runner_type = 'KDRunner'

# MMEngine tags a model inherited from an `mmpretrain::` file with
# `_scope_='mmpretrain'`; this scope also finds this package's networks.
model = dict(_scope_='mmcls_kd', head=dict(num_classes=100))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.2)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

# Keep the best epoch (what the CIFAR-100 literature reports; paper_table.py
# reads best and last from the logs) and the two latest checkpoints for
# resume, instead of one checkpoint per epoch.
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=2, save_best='accuracy/top1', rule='greater'))
