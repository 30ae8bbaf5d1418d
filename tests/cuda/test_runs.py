"""One train + val epoch of each config family on the GPU (a few dozen
images): logit KD, feature KD with a memory bank, self-KD, KD from a teacher
cache; a train and a val step of DeiT; the detection run where mmcv's
compiled ops import."""
import importlib.util
import math
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.apis.model import build_model
from tests.conftest import KD_CONFIG, QUICK, REPO, tool_env
from tests.cuda.conftest import needs_cuda

pytestmark = pytest.mark.cuda

FAMILIES = {
    'logit-kd': KD_CONFIG,
    'feature-kd-memory-bank':
    osp.join(QUICK, 'crd_resnet34-w32_resnet18-w16_1xb32_digits.py'),
    'self-kd': osp.join(QUICK, 'uskd_resnet18-w16_1xb32_digits.py'),
}
DEIT = osp.join(REPO, 'configs', 'uskd', 'uskd_deit-tiny_4xb256_in1k.py')


def _options(work_dir, teacher=None, **extra):
    options = {
        'work_dir': str(work_dir),
        'train_dataloader.dataset.indices': 32,
        'train_dataloader.batch_size': 16,
        'val_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': 1,
        'randomness.seed': 0,
        **extra
    }
    if teacher:
        options['model.teacher_ckpt'] = teacher
    return options


def _train_and_validate(config, options, device):
    runner = build_runner(load_config(config, options))
    runner.train()
    model = runner.model.module if is_model_wrapper(runner.model) else \
        runner.model
    assert next(model.parameters()).device.type == device
    scalars = runner.message_hub.log_scalars
    loss = scalars['train/loss'].current()
    assert math.isfinite(loss), loss
    assert 'val/accuracy/top1' in scalars
    return runner


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_a_config_family_trains_and_validates(family, device, tmp_path,
                                              random_teacher_ckpt):
    teacher = None if family == 'self-kd' else random_teacher_ckpt
    _train_and_validate(FAMILIES[family], _options(tmp_path, teacher),
                        device)


def test_distillation_from_a_cache_trains_and_validates(
        device, tmp_path, random_teacher_ckpt):
    from mmcls_kd.cache import build_cache
    options = _options(tmp_path / 'run', random_teacher_ckpt,
                       **{'train_dataloader.seeded_augment': True})
    cache = tmp_path / 'cache'
    build_cache(load_config(KD_CONFIG, options), str(cache), 1, 'float16',
                progress=lambda _: None)
    runner = _train_and_validate(
        KD_CONFIG, {**options, 'model.teacher_cache': str(cache)}, device)
    assert runner.message_hub.log_scalars[
        'train/distill.loss_kd'].current() > 0


def test_deit_takes_a_train_and_a_val_step(device):
    torch.manual_seed(0)
    cfg = load_config(DEIT)
    model = build_model(cfg).to(device)
    batch = dict(
        inputs=[torch.randint(0, 256, (3, 224, 224), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=[DataSample().set_gt_label(i) for i in range(2)])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    model.train()
    losses = model.train_step(batch, optim)
    assert losses and all(
        math.isfinite(float(v)) for v in losses.values()), losses
    assert any(k.startswith('distill.') for k in losses)
    model.eval()
    outputs = model.val_step(batch)
    assert outputs[0].pred_score.device.type == device
    assert outputs[0].pred_score.shape == (1000, )


def test_the_detection_run(device):
    needs_cuda(device, 'the detection run on the GPU')
    try:
        import mmcv.ops  # noqa: F401
    except (ImportError, OSError):
        pytest.skip('mmcv with compiled ops does not import here (mmcv-lite '
                    'has none): the detection build is not checked')
    if importlib.util.find_spec('mmdet') is None:
        pytest.skip('MMDetection is not installed: the detection build is '
                    'not checked')
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', 'tests/downstream', '-k',
         'one_iteration'], cwd=REPO, env=tool_env(), capture_output=True,
        text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
