# Data, schedule and runtime shared by every CIFAR-100 config of Table 1
# (this package's scope and runner come with ./default_runtime.py).
_base_ = [
    './datasets/cifar100_bs64.py',
    './schedules/cifar100_bs64_240e.py',
    './default_runtime.py',
]


# Keep the best epoch (what the CIFAR-100 literature reports; paper_table.py
# reads best and last from the logs) and the two latest checkpoints for
# resume, instead of one checkpoint per epoch.
default_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=2, save_best='accuracy/top1', rule='greater'))
