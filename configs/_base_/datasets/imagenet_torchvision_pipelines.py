# ImageNet pipelines as close as MMPretrain comes to the torchvision ones of
# mdistiller's and ReviewKD's ImageNet code (RandomResizedCrop(224) +
# horizontal flip; Resize(256) + CenterCrop(224); PIL decoding and PIL's
# antialiased bilinear resizing): images decoded and resized with Pillow
# instead of OpenCV. What still differs: the crop parameters come from
# another random stream, and the normalisation is done in the data
# preprocessor on 0-255 values instead of on 0-1 tensors (the same
# arithmetic up to float rounding). Named apart from MMPretrain's
# `train_pipeline` / `test_pipeline` so that this file can sit beside a
# config that has them.
tv_train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
tv_test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
