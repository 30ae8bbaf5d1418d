# timm resnet50d -> resnet18: the student's distillation base with the timm
# teacher (from the teacher base). The teacher sees its own input, converted
# from the student's batch, and its logits are recorded at `model` (its
# network's output): both follow from the teacher being a timm model.
_base_ = [
    './student_resnet18_in1k.py', '../teachers/timm-resnet50d_in1k.py'
]

model = dict(teacher={{_base_.teacher}}, teacher_ckpt={{_base_.teacher_ckpt}})
# The teacher base's helpers: the model's teacher and checkpoint are the ones
# used, and a top-level one set later (--cfg-options teacher_ckpt=...) is an
# error instead of being ignored.
teacher = teacher_ckpt = None
