# MLKD's two views of each training image, as its official code makes them
# (Jin-Ying/Multi-Level-Logit-Distillation, mdistiller/dataset/cifar100.py
# and imagenet.py, `get_*_train_transform_strong`): a weak view (the data
# set's usual crop and flip) and a strong one (its own crop and flip, then
# a FixMatch-style RandAugment: 2 of 14 operations drawn with replacement,
# each applied at a magnitude drawn uniformly from its range, then a square
# cutout of a side drawn uniformly from 0 to half the image side, filled
# with gray RGB 125/123/114).
# Built from MMPretrain's transforms with the official ranges: Brightness,
# Color, Contrast and Sharpness factors in [0.05, 0.95]; Posterize to 4-7
# bits; Rotate within +-30 degrees, Shear within +-0.3, Translate within
# +-0.3 of the side, filled with 0 (PIL's fill); Solarize at a threshold in
# [0, 256]; Identity is Posterize to 8 bits (a no-op). Known differences:
# the random streams, MMCV's instead of PIL's resampling, the cutout's
# corner (MMCV centres the square on a uniform point and clips it; the
# official code clips the corner at 0 and keeps the side). The training
# loaders of configs/mlkd/ take these pipelines; the helper keys are
# cleared there. Images are RGB on CIFAR-100 and BGR on ImageNet (MMCV's
# decoder), hence the two orders of the cutout's gray.

mlkd_randaugment = dict(
    type='RandAugment',
    num_policies=2,
    # Level 10 of 10 with a uniform deviation: each magnitude uniform over
    # its operation's whole range, as the official RandAugment(2, 10) draws.
    magnitude_level=10,
    magnitude_std='inf',
    total_level=10,
    # Every chosen operation is applied (MMPretrain's default prob is 0.5);
    # geometric operations fill with 0.
    hparams=dict(prob=1.0, pad_val=0),
    policies=[
        dict(type='AutoContrast'),
        dict(type='Brightness', magnitude_range=(-0.95, -0.05),
             random_negative_prob=0.),
        dict(type='ColorTransform', magnitude_range=(-0.95, -0.05),
             random_negative_prob=0.),
        dict(type='Contrast', magnitude_range=(-0.95, -0.05),
             random_negative_prob=0.),
        dict(type='Equalize'),
        # Identity.
        dict(type='Posterize', bits=8),
        # ceil(U(3, 7)): 4 to 7 bits, as the official int(U(4, 8)).
        dict(type='Posterize', magnitude_range=(3, 7)),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Sharpness', magnitude_range=(-0.95, -0.05),
             random_negative_prob=0.),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
        dict(type='Solarize', magnitude_range=(0, 256)),
        dict(type='Translate', magnitude_range=(0, 0.3),
             direction='horizontal'),
        dict(type='Translate', magnitude_range=(0, 0.3),
             direction='vertical'),
    ])

mlkd_cifar100_train_pipeline = [
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            [
                dict(type='RandomCrop', crop_size=32, padding=4),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            ],
            [
                dict(type='RandomCrop', crop_size=32, padding=4),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                mlkd_randaugment,
                dict(type='Cutout', magnitude_range=(0, 16),
                     magnitude_level=10, magnitude_std='inf', total_level=10,
                     prob=1.0, pad_val=(125, 123, 114)),
            ],
        ]),
    dict(type='PackInputs'),
]

# Decoded and resized with Pillow, as ./imagenet_torchvision_pipelines.py.
mlkd_in1k_train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            [
                dict(type='RandomResizedCrop', scale=224, backend='pillow',
                     interpolation='bilinear'),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            ],
            [
                dict(type='RandomResizedCrop', scale=224, backend='pillow',
                     interpolation='bilinear'),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                mlkd_randaugment,
                dict(type='Cutout', magnitude_range=(0, 112),
                     magnitude_level=10, magnitude_std='inf', total_level=10,
                     prob=1.0, pad_val=(114, 123, 125)),
            ],
        ]),
    dict(type='PackInputs'),
]
