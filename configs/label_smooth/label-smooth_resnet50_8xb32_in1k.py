# Label smoothing (Szegedy et al., arXiv 1512.00567) on ResNet-50, ImageNet
# (Table 2 "LS", 76.64): the baseline with MMPretrain's LabelSmoothLoss,
# epsilon 0.1 (the usual value; the paper does not state it). Recipe: the
# baseline's.
_base_ = ['../baseline/resnet50_8xb32_in1k.py']

model = dict(head=dict(loss=dict(
    _delete_=True, type='LabelSmoothLoss', label_smooth_val=0.1,
    loss_weight=1.0)))
