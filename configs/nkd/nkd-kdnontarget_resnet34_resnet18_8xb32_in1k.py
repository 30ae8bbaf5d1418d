# Table 5, target + KD's non-target term (Eq. 3, unnormalised full-softmax
# probabilities). The paper does not say how that term is weighted: it gets
# NKD's gamma * tau^2, so the column differs from NKD by the normalisation
# alone.
_base_ = ['./nkd_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(non_target='kd'))))
