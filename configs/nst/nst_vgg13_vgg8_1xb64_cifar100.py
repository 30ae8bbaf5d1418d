# NST (arXiv 1707.01219), VGG13 -> VGG8 on CIFAR-100, as the CRD benchmark
# code runs it: CE + 50 * the squared MMD at the output of blocks 1-4
# (layer2-5).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, nst  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in range(2, 6)]
model = dict(distiller=nst(student=__stages, teacher=__stages,
                           loss_weight=50.0))
