# The classifier around every CIFAR-100 backbone of the CRD/DKD model zoo:
# global average pooling and one linear layer; configs set the backbone and
# the head's input width.
model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
