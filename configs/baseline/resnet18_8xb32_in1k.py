# ResNet-18 on ImageNet trained alone (Table 1/2 "Student"/"Baseline" 69.90):
# MMPretrain's recipe, in this package's scope.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']

custom_imports = dict(imports=['mmcls_kd'], allow_failed_imports=False)
default_scope = 'mmcls_kd'
runner_type = 'KDRunner'
