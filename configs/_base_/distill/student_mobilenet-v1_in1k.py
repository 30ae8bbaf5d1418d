# The mobilenet-v1 on in1k student as a distillation algorithm with a
# frozen teacher: the student whole (its data preprocessor and batch
# augments with it) and recipe from its baseline config, the logit and label
# records of KDDistiller. Pair bases add the teacher.
_base_ = ['../../baseline/mobilenet-v1_8xb32_in1k.py']

model = dict(
    _delete_=True, type='TeacherDistill', architecture={{_base_.model}},
    distiller=dict(type='KDDistiller'))
