# MMPretrain's runtime, in this package's scope and runner.
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmcls_kd'], allow_failed_imports=False)
default_scope = 'mmcls_kd'
# KDRunner: NCCL on GPUs and gloo on CPUs under --launcher, and resume that
# loads the run's own checkpoints on torch >= 2.6.
runner_type = 'KDRunner'
