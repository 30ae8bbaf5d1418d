# resnet50 -> mobilenet-v2: the student's distillation base with the resnet50
# teacher and its checkpoint (from the teacher base).
_base_ = [
    './student_mobilenet-v2_cifar100.py', '../teachers/resnet50_cifar100.py'
]

model = dict(teacher={{_base_.teacher}}, teacher_ckpt={{_base_.teacher_ckpt}})
# The teacher base's helpers: the model's teacher and checkpoint are the ones
# used, and a top-level one set later (--cfg-options teacher_ckpt=...) is an
# error instead of being ignored.
teacher = teacher_ckpt = None
