# The mobilenet-v2 on cifar100 student as a distillation algorithm with a
# frozen teacher: the student whole (its data preprocessor and batch
# augments with it) and recipe from its baseline config, the logit and label
# records of KDDistiller. Pair bases add the teacher.
_base_ = ['../../baseline/mobilenet-v2_1xb64_cifar100.py']

model = dict(
    _delete_=True, type='TeacherDistill', architecture={{_base_.model}},
    distiller=dict(type='KDDistiller'))
