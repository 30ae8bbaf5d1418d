# The quick-start student distilled from itself (no teacher is built): the
# student whole and recipe from its baseline config, the logit and label
# records of KDDistiller.
_base_ = ['../../quickstart/resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True, type='SelfDistillation', architecture={{_base_.model}},
    distiller=dict(type='KDDistiller'))
