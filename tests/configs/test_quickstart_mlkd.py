"""The MLKD quick start trains through MMPretrain's MultiView transform and
MultiViewDataPreprocessor: in a real training step the teacher's and the
student's recorded logits are their outputs on the weak view, then on the
strong view (the student's as two forwards, one per view, give them: batch
statistics per view, as the official code), the distillation loss is the
float64 reference's on them and the head's cross-entropy is the mean over
both views, weighted 0.2. The CIFAR-100 and ImageNet configs' pipelines make
their two views."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook

from mmcls_kd.apis import build_runner, load_config
from tests.conftest import QUICK, REPO
from tests.models.losses.test_mlkd import reference_mlkd

CONFIG = osp.join(QUICK, 'mlkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
BATCH = 8


class _Step(Hook):
    """The records, losses and each view's teacher logits of the step."""

    priority = 'LOW'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.student = copy.deepcopy(runner.model.student)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = runner.model
        distiller = model.distiller
        self.preds_S = distiller.student_recorders.get_recorder(
            'logits').get_record_data().detach()
        self.preds_T = distiller.teacher_recorders.get_recorder(
            'logits').get_record_data().detach()
        self.outputs = {k: float(v) for k, v in outputs.items()}
        self.batch = data_batch
        views = [
            model.data_preprocessor(
                dict(inputs=list(view),
                     data_samples=data_batch['data_samples']),
                False)['inputs'] for view in data_batch['inputs']
        ]
        with torch.no_grad():
            self.teacher_views = [
                model.teacher(view, mode='tensor') for view in views
            ]
            # The student before the step, in training mode, one forward
            # per view (updating its running statistics twice).
            self.student_views = [
                self.student(view, mode='tensor') for view in views
            ]
        self.running_mean = (
            model.student.backbone.bn1.running_mean.clone(),
            self.student.backbone.bn1.running_mean.clone())


def test_student_and_teacher_see_both_views(tmp_path, random_teacher_ckpt):
    cfg = load_config(CONFIG, {
        'work_dir': str(tmp_path),
        'model.teacher_ckpt': random_teacher_ckpt,
        'randomness.seed': 0,
        'train_dataloader.dataset.indices': BATCH,
        'train_dataloader.batch_size': BATCH,
        'train_cfg.max_epochs': 1,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        'default_hooks.checkpoint.interval': 100,
        'default_hooks.checkpoint.save_last': False,
    })
    runner = build_runner(cfg)
    step = _Step()
    runner.register_hook(step)
    runner.train()

    weak, strong = step.batch['inputs']
    assert len(weak) == len(strong) == BATCH
    assert any(not torch.equal(w, s) for w, s in zip(weak, strong))
    assert step.preds_S.shape == step.preds_T.shape == (2 * BATCH, 10)
    torch.testing.assert_close(step.preds_T,
                               torch.cat(step.teacher_views))
    torch.testing.assert_close(step.preds_S,
                               torch.cat(step.student_views))
    torch.testing.assert_close(*step.running_mean)

    labels = torch.cat([s.gt_label for s in step.batch['data_samples']])
    cross_entropy = 0.2 * F.cross_entropy(step.preds_S.double(),
                                          labels.repeat(2))
    assert abs(step.outputs['student.loss'] - cross_entropy.item()) <= \
        1e-5 * cross_entropy.item()
    expected = reference_mlkd(step.preds_S.double().tolist(),
                              step.preds_T.double().tolist(),
                              (4.0, 3.0, 5.0, 2.0, 6.0), (4.0, 3.0, 5.0),
                              (2.0, 6.0), weight=0.9)
    # The step computes in float32: the batch and class terms are squared
    # differences of close similarities (a random teacher is near uniform).
    assert abs(step.outputs['distill.loss_mlkd'] - expected) <= \
        1e-3 * expected


@pytest.mark.parametrize('config, height, width, size', [
    ('mlkd_resnet32x4_resnet8x4_1xb64_cifar100.py', 32, 32, 32),
    ('mlkd_tv-resnet34_resnet18_8xb64_in1k.py', 300, 400, 224),
])
def test_the_cifar100_and_imagenet_views_run(config, height, width, size):
    """The configs' weak and strong pipelines make two views of an RGB
    image, over 30 draws of the RandAugment operations."""
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    cfg = load_config(osp.join(REPO, 'configs', 'mlkd', config))
    pipeline = [t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] != 'LoadImageFromFile']
    generator = np.random.default_rng(0)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        transform = Compose(pipeline)
        for _ in range(30):
            image = generator.integers(0, 256, (height, width, 3), np.uint8)
            views = transform(dict(img=image, img_shape=image.shape[:2],
                                   ori_shape=image.shape[:2]))['inputs']
            assert [tuple(v.shape) for v in views] == [(3, size, size)] * 2
