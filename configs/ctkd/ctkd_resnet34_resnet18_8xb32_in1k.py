# CTKD ("Curriculum Temperature for Knowledge Distillation", arXiv
# 2211.16231) on Hinton's KD, ResNet-34 -> ResNet-18 on ImageNet, with the
# global temperature. In no table of the NKD/USKD paper; the official README
# reports 71.32 for this pair (metafile.yml).
# The official ImageNet script (zhengli97/CTKD,
# scripts/run_imagenet_distill.sh, with train_student.py): CE weight 1
# (-r 1), KD weight 1 (-a 1), temperature 1 + 20 * sigmoid(t) (--t_start 1
# --t_end 20; --kd_T 4 unused once it is learnt), gradient reversal weight
# from 0 to 1 over the first 5 epochs on a cosine (--decay_loops 5), batch
# 256 over 8 GPUs (--batch_size 256, split per process), SGD lr 0.1,
# momentum 0.9, weight decay 1e-4, 120 epochs, lr x0.1 at 30/60/90:
# MMPretrain's ResNet-18 recipe (through the student's baseline config) run
# 20 epochs longer.
# Teacher: a GUESS. The official run loads its own released ResNet-34
# (73.96 in its README), which is neither torchvision's (73.31) nor
# MMPretrain's; MMPretrain's (73.62, the base's checkpoint) stands in.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

from mmcls_kd.models.distillers.wiring import ctkd  # noqa: E402

model = dict(distiller=ctkd(1.0, curriculum_epochs=5))
train_cfg = dict(max_epochs=120)
