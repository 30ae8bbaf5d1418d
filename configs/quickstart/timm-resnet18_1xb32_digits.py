# Quick start: the timm teacher (timm's resnet18) trained alone on its own
# input, as timm would preprocess it: the student's data, schedule and
# runtime, the digits resized to 32x32 with PIL's bicubic (timm's transforms
# resize with PIL) and normalised with mean 0.5, std 0.5 of 0-1 pixels, the
# values of its pretrained_cfg in the teacher base.
_base_ = [
    '../_base_/datasets/digits_bs32.py',
    '../_base_/schedules/digits_bs32.py',
    '../_base_/default_runtime.py',
    '../_base_/teachers/timm-resnet18_digits.py',
]
model = {{_base_.teacher}}
# The teacher base's helper keys: nothing here distils.
teacher = None
teacher_ckpt = None

data_preprocessor = dict(mean=[127.5], std=[127.5])
_resize = dict(
    type='Resize', scale=(32, 32), interpolation='bicubic', backend='pillow')
train_pipeline = [
    dict(type='RandomCrop', crop_size=8, padding=1),
    _resize,
    dict(type='PackInputs'),
]
test_pipeline = [_resize, dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

default_hooks = dict(logger=dict(interval=10))
randomness = dict(seed=0)
