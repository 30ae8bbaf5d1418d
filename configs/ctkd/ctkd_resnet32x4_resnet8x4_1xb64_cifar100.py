# CTKD ("Curriculum Temperature for Knowledge Distillation", arXiv
# 2211.16231) on Hinton's KD, ResNet32x4 -> ResNet8x4 on CIFAR-100, with
# the global temperature.
# The official repository (zhengli97/CTKD) has one CIFAR-100 script,
# scripts/run_cifar_distill.sh, written for ResNet-56 -> ResNet-20; the
# values below are that script's (and train_student.py's defaults), none is
# stated for this pair:
# - CE weight 0.1 (-r 0.1), KD weight 0.9 (-a 0.9); the script's --kd_T 4
#   is not used once the temperature is learnt (--have_mlp 1).
# - temperature 1 + 20 * sigmoid(t) (--t_start 1 --t_end 20), t starting
#   at 1 (models/temp_global.py): wiring.CTKD_OFFICIAL, which ctkd() uses.
# - gradient reversal weight from 0 to 1 over the first 10 epochs on a
#   cosine, epochs counted from 1 (--cosine_decay 1 --decay_max 0
#   --decay_min -1 --decay_loops 10), set by KDRunner's CTKDCurriculumHook.
# - the temperature is optimised with the student by the same SGD (the
#   official trainable_list), weight decay included.
# Recipe: batch 64, lr 0.05 (--batch_size 64 --learning_rate 0.05), 240
# epochs, x0.1 at 150/180/210, weight decay 5e-4, momentum 0.9
# (train_student.py's defaults): CRD/DKD's CIFAR-100 recipe
# (../_base_/cifar100_runtime.py, through the student's baseline config).
# Teacher: CRD's released ResNet32x4 (the base's checkpoint).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import ctkd  # noqa: E402

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=ctkd(0.9, curriculum_epochs=10))
