# The classifier around a CIFAR-100 teacher backbone (as
# ../models/cifar100_classifier.py for students), kept under `teacher`, the
# name distillation bases read.
teacher = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
