# DeiT-Small on ImageNet trained alone (Table 4 baseline 80.55): MMPretrain's
# recipe (4 x 256 images, AdamW, Mixup + CutMix, label smoothing 0.1), in
# this package's scope.
_base_ = ['mmpretrain::deit/deit-small_4xb256_in1k.py']

custom_imports = dict(imports=['mmcls_kd'], allow_failed_imports=False)
default_scope = 'mmcls_kd'
runner_type = 'KDRunner'
# MMEngine tags a model inherited from an `mmpretrain::` file with
# `_scope_='mmpretrain'`; this scope also finds this package's networks.
model = dict(_scope_='mmcls_kd')

# Keep the best epoch (what the CIFAR-100 literature reports; paper_table.py
# reads best and last from the logs) and the two latest checkpoints for
# resume, instead of one checkpoint per epoch.
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=2, save_best='accuracy/top1', rule='greater'))
