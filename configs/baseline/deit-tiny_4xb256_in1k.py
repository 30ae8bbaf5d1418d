# DeiT-Tiny on ImageNet trained alone (Table 4 baseline 74.42): MMPretrain's
# recipe (4 x 256 images, AdamW, Mixup + CutMix, label smoothing 0.1).
_base_ = ['mmpretrain::deit/deit-tiny_4xb256_in1k.py']

custom_imports = dict(imports=['mmcls_kd'], allow_failed_imports=False)
default_scope = 'mmcls_kd'
runner_type = 'KDRunner'
# MMEngine tags a model inherited from an `mmpretrain::` file with
# `_scope_='mmpretrain'`; this scope also finds this package's networks.
model = dict(_scope_='mmcls_kd')
