# Table 7 "USKD (ours)": the baseline's Mask R-CNN R50-FPN 1x, with the
# backbone of a USKD ResNet-50 (configs/uskd/uskd_resnet50_8xb32_in1k.py,
# 77.07 top-1). Extract that backbone from the run's final checkpoint first:
#
#   python tools/model_converters/extract_student.py \
#       work_dirs/uskd_resnet50_8xb32_in1k/epoch_100.pth \
#       work_dirs/uskd_resnet50_8xb32_in1k/backbone.pth --mode backbone
#
# The path is relative to the directory training is launched from (the
# repository root); another file: --cfg-options
# model.backbone.init_cfg.checkpoint=PATH.
_base_ = ['./mask-rcnn_r50_fpn_1x_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            # The extracted file holds bare ResNet keys: no `prefix`.
            _delete_=True,
            type='Pretrained',
            checkpoint='work_dirs/uskd_resnet50_8xb32_in1k/backbone.pth')))
