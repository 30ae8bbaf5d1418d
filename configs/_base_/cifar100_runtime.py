# Data, schedule and runtime shared by every CIFAR-100 config of Table 1
# (this package's scope and runner come with ./default_runtime.py).
_base_ = [
    './datasets/cifar100_bs64.py',
    './schedules/cifar100_bs64_240e.py',
    './default_runtime.py',
]

