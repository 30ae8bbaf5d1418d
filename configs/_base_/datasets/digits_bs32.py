# scikit-learn's 8x8 handwritten digits (mmcls_kd.datasets.Digits): on every
# machine with the requirements installed, no download.
dataset_type = 'Digits'
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    # Pixel mean and std of the training split (values 0-255).
    mean=[78.1],
    std=[96.1],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=8, padding=1),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
