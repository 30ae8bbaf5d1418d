# FT ("Paraphrasing Complex Network: Network Compression via Factor
# Transfer", arXiv 1802.04977), ResNet32x4 -> ResNet8x4 on CIFAR-100, as the
# CRD benchmark code (RepDistiller, `--distill factor -a 0 -b 200`) runs it: a
# 30-epoch initialisation phase trains the paraphraser to reconstruct the
# teacher's last feature map (mean squared error; SGD lr 0.01, the reference
# code's value for ResNet students, momentum 0.9, weight decay 5e-4); then the
# 240 epochs of the CIFAR-100 recipe train the student and the translator with
# CE + 200 * FT (the channel mean of the squared factors, normalised, as that
# code compares them); the paraphraser stays as trained.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ft, ft_init_phase, module_outputs)

# The last stage's output (after its ReLU), 256 channels in both; factor rate
# 0.5 (128 channels).
__stage = module_outputs('backbone.layer3')
model = dict(distiller=ft(__stage, __stage, 256, 256, loss_weight=200.0))
custom_hooks = [ft_init_phase(epochs=30, lr=0.01)]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
