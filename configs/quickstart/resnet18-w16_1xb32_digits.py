# Quick start: the student trained alone with cross-entropy (the baseline).
_base_ = [
    '../_base_/models/digits_resnet18_w16.py',
    '../_base_/datasets/digits_bs32.py',
    '../_base_/schedules/digits_bs32.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(logger=dict(interval=10))
randomness = dict(seed=0)
