# NST ("Like What You Like: Knowledge Distill via Neuron Selectivity
# Transfer", arXiv 1707.01219), ResNet32x4 -> ResNet8x4 on CIFAR-100, as the
# CRD benchmark code (RepDistiller, `--distill nst -a 0 -b 50`; mdistiller's
# NST weight is also 50) runs it: CE + 50 * the squared MMD (polynomial kernel
# of degree 2) at the output of each of the three stages.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import module_outputs, nst  # noqa: E402

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]
model = dict(distiller=nst(student=__stages, teacher=__stages,
                           loss_weight=50.0))
