# Quick start: the student distilled from the quick-start teacher with MLKD
# (instance, batch and class alignment of the predictions at temperatures
# 4, 3, 5, 2 and 6, on a weak and a strong view of each digit that the
# student and the teacher both see). The official CIFAR-100 weights: MLKD
# 0.9, cross-entropy 0.1 on each view (0.2 on their mean, which the head
# computes over the two views' rows).
# The strong view: the weak crop, then 2 of the official RandAugment
# operations that work on one-channel images (Brightness, Identity,
# Posterize, Rotate, Sharpness, Shear, Solarize, Translate; MMCV's
# AutoContrast, Color, Contrast and Equalize need three channels) and a
# cutout of up to half the side filled with the background (0).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import mlkd  # noqa: E402

data_preprocessor = dict(type='MultiViewDataPreprocessor', num_views=2)
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='MultiView',
            num_views=[1, 1],
            transforms=[
                [dict(type='RandomCrop', crop_size=8, padding=1)],
                [
                    dict(type='RandomCrop', crop_size=8, padding=1),
                    dict(
                        type='RandAugment',
                        num_policies=2,
                        magnitude_level=10,
                        magnitude_std='inf',
                        total_level=10,
                        hparams=dict(prob=1.0, pad_val=0),
                        policies=[
                            dict(type='Brightness',
                                 magnitude_range=(-0.95, -0.05),
                                 random_negative_prob=0.),
                            dict(type='Posterize', bits=8),
                            dict(type='Posterize', magnitude_range=(3, 7)),
                            dict(type='Rotate', magnitude_range=(0, 30)),
                            dict(type='Sharpness',
                                 magnitude_range=(-0.95, -0.05),
                                 random_negative_prob=0.),
                            dict(type='Shear', magnitude_range=(0, 0.3),
                                 direction='horizontal'),
                            dict(type='Shear', magnitude_range=(0, 0.3),
                                 direction='vertical'),
                            dict(type='Solarize', magnitude_range=(0, 256)),
                            dict(type='Translate', magnitude_range=(0, 0.3),
                                 direction='horizontal'),
                            dict(type='Translate', magnitude_range=(0, 0.3),
                                 direction='vertical'),
                        ]),
                    dict(type='Cutout', magnitude_range=(0, 4),
                         magnitude_level=10, magnitude_std='inf',
                         total_level=10, prob=1.0, pad_val=0),
                ],
            ]),
        dict(type='PackInputs'),
    ]))

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.2))),
    distiller=mlkd(tau=4.0, loss_weight=0.9))
