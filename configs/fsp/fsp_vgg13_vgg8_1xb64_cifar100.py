# FSP (CVPR 2017), VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark code runs
# it (see fsp_resnet32x4_resnet8x4_1xb64_cifar100.py): 30 epochs of the FSP
# loss alone on the student's backbone, then the recipe with the
# cross-entropy only.
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    fsp, init_phase, module_outputs)

# The five blocks' outputs (after their ReLU), 64/128/256/512/512 channels in
# both: four FSP matrices.
__features = [module_outputs(f'backbone.layer{i}') for i in range(1, 6)]
model = dict(distiller=fsp(student=__features, teacher=__features))
custom_hooks = [
    init_phase(
        epochs=30, trainable=['architecture.backbone'], losses=['loss_fsp'])
]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
