# The deit-tiny on in1k student distilled from itself (no teacher
# is built): the student whole and recipe from its baseline config, the
# logit and label records of KDDistiller.
_base_ = ['../../baseline/deit-tiny_4xb256_in1k.py']

model = dict(
    _delete_=True, type='SelfDistillation', architecture={{_base_.model}},
    distiller=dict(type='KDDistiller'))
