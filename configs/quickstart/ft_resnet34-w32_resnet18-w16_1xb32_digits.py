# Quick start: the student distilled from the quick-start teacher with FT
# ("Paraphrasing Complex Network: Network Compression via Factor Transfer",
# arXiv 1802.04977), as the CRD benchmark code runs it: an initialisation
# phase trains the paraphraser to reconstruct the teacher's feature, then the
# schedule trains the student and the translator with CE + FT.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    ft, ft_init_phase, module_outputs)

# The third stage (2x2 on 8x8 digits; the fourth is 1x1, where the channel
# mean of a factor normalised over one position is always 1), 64 student and
# 128 teacher channels; the reference code's weight 200 and initialisation
# learning rate 0.01 (ResNet students); one epoch before the ten of the
# schedule (the reference code: 30 before 240).
__stage = module_outputs('backbone.layer3')
model = dict(distiller=ft(__stage, __stage, 64, 128, loss_weight=200.0))
custom_hooks = [ft_init_phase(epochs=1, lr=0.01)]
# Under DDP (tools/dist_train.sh) the modules frozen in the phase get no
# gradient.
find_unused_parameters = True
