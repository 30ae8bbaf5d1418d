# Label smoothing (Szegedy et al., arXiv 1512.00567) on ResNet_CIFAR-18,
# CIFAR-100 (Table 2 "LS", 79.42): the baseline with MMPretrain's
# LabelSmoothLoss, epsilon 0.1 (the usual value; the paper does not state it).
# Recipe: the baseline's.
_base_ = ['../baseline/resnet18_8xb16_cifar100.py']

model = dict(head=dict(loss=dict(
    _delete_=True, type='LabelSmoothLoss', label_smooth_val=0.1,
    loss_weight=1.0)))
