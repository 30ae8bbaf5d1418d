# RegNetX-1.6GF on ImageNet trained alone (Tables 4, 6 and 9 baseline 76.84):
# MMPretrain's recipe, in this package's scope.
_base_ = ['mmpretrain::regnet/regnetx-1.6gf_8xb128_in1k.py']

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
