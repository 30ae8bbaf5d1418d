# Table 8 (70.57): ResNet-18 trained with the target loss alone, soft target
# softmax(S_t) * sum(V_t), statistics over the samples of the batch, no square
# (the table's caption). No weak classifier, no L_non.
_base_ = ['./uskd-target_resnet18_8xb32_in1k.py']

model = dict(distiller=dict(distill_losses=dict(loss_uskd=dict(
    target='softmax'))))
