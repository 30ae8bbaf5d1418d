"""The teacher cache: a run that reads the teacher's logits equals the run
that computes them; the cache refuses runs it was not built for."""
import os

import numpy as np
import pytest
import torch

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.cache import CacheMismatchError, build_cache, read_manifest
from tests.conftest import KD_CONFIG, QUICK, load_tool
from tests.reliability.helpers import (load_own_checkpoint, scalars,
                                       train_in_process, write_config)

NKD_CONFIG = os.path.join(QUICK,
                          'nkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
DKD_CONFIG = os.path.join(QUICK,
                          'dkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
OFD_CONFIG = os.path.join(QUICK,
                          'ofd_resnet34-w32_resnet18-w16_1xb32_digits.py')
EPOCHS = 2


def _options(teacher, **extra):
    # seeded_augment is the default of a run from a cache; the online run
    # sets it to see the same images.
    return {
        'model.teacher_ckpt': teacher,
        'train_dataloader.dataset.indices': 32,
        'train_dataloader.batch_size': 16,
        'train_dataloader.seeded_augment': True,
        'train_dataloader.num_workers': 2,
        'train_dataloader.persistent_workers': True,
        'train_cfg.max_epochs': EPOCHS,
        'default_hooks.logger.interval': 1,
        'log_processor.window_size': 1,
        **extra
    }


def _build(out, teacher, dtype, epochs=EPOCHS, config=KD_CONFIG, **extra):
    # Built without workers, read by runs with 2: the images are the same.
    cfg = load_config(
        config,
        _options(teacher, **{
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            **extra
        }))
    return build_cache(cfg, str(out), epochs, dtype, progress=lambda _: None)


@pytest.fixture(scope='module')
def caches(tmp_path_factory, random_teacher_ckpt):
    root = tmp_path_factory.mktemp('cache')
    for dtype in ('float32', 'float16'):
        _build(root / dtype, random_teacher_ckpt, dtype)
    return root


@pytest.mark.slow
@pytest.mark.parametrize('config', [KD_CONFIG, NKD_CONFIG, DKD_CONFIG])
def test_a_run_from_the_cache_equals_the_online_run(config, caches, tmp_path,
                                                    random_teacher_ckpt):
    online, cached = tmp_path / 'online', tmp_path / 'cached'
    # Two workers for KD; the workers cannot matter (test_seeded.py), so
    # the other methods save their start-up.
    workers = {} if config == KD_CONFIG else {
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False
    }
    train_in_process(config, online,
                     _options(random_teacher_ckpt, **workers))
    train_in_process(
        config, cached,
        _options(random_teacher_ckpt,
                 **{'model.teacher_cache': str(caches / 'float32')},
                 **workers))
    rows_online, rows_cached = scalars(online), scalars(cached)
    assert sorted(rows_online) == sorted(rows_cached) == list(range(1, 5))
    for it, row in rows_online.items():
        for name, value in row.items():
            if 'loss' in name:
                assert rows_cached[it][name] == pytest.approx(
                    value, rel=1e-5), (it, name)
    if config == KD_CONFIG:
        half = tmp_path / 'half'
        train_in_process(
            config, half,
            _options(random_teacher_ckpt,
                     **{'model.teacher_cache': str(caches / 'float16')}))
        for it, row in scalars(half).items():
            assert row['distill.loss_kd'] == pytest.approx(
                rows_online[it]['distill.loss_kd'], rel=1e-3), it
    final = [load_own_checkpoint(d / f'epoch_{EPOCHS}.pth')['state_dict']
             for d in (online, cached)]
    assert final[0].keys() == final[1].keys()
    for key, value in final[0].items():
        if value.is_floating_point():
            torch.testing.assert_close(final[1][key], value, rtol=1e-4,
                                       atol=1e-5)


def test_a_float16_cache_keeps_each_logit_to_its_precision(caches):
    full = np.load(caches / 'float32' / 'epoch_1.npy')
    half = np.load(caches / 'float16' / 'epoch_1.npy')
    # float16 keeps 11 significant bits: 2**-11 relative.
    np.testing.assert_allclose(half, full, rtol=2**-11, atol=1e-6)


def test_an_interrupted_build_continues_to_the_same_files(
        caches, tmp_path, random_teacher_ckpt):
    out = tmp_path / 'cache'
    _build(out, random_teacher_ckpt, 'float32', epochs=1)
    # A build killed in epoch 1 left half an array behind.
    (out / 'epoch_1.npy.partial').write_bytes(b'half')
    _build(out, random_teacher_ckpt, 'float32', epochs=2)
    for epoch in range(2):
        assert (out / f'epoch_{epoch}.npy').read_bytes() == (
            caches / 'float32' / f'epoch_{epoch}.npy').read_bytes()
    assert read_manifest(out)['epochs'] == 2


def _refused(tmp_path, cache, teacher, match, config=KD_CONFIG, **extra):
    work = tmp_path / 'work'
    cfg = load_config(config, {
        **_options(teacher, **{'model.teacher_cache': str(cache)}),
        'work_dir': str(work), **extra
    })
    with pytest.raises((CacheMismatchError, ValueError), match=match):
        build_runner(cfg).train()
    # Refused before the first iteration: nothing trained, nothing saved.
    assert not list(work.glob('*.pth'))


@pytest.mark.parametrize('extra, match', [
    ({'randomness.seed': 1}, r'randomness.seed is 0 in the cache and 1'),
    ({'train_cfg.max_epochs': 3},
     r'the number of epochs is 2 in the cache and 3'),
    ({'train_dataloader.dataset.pipeline.0.padding': 2},
     r'the training pipeline is'),
    ({'train_dataloader.dataset.indices': 24},
     r'the number of training samples is 32 in the cache and 24'),
    ({'train_dataloader.seeded_augment': False},
     r'leave train_dataloader.seeded_augment on'),
])
def test_a_run_the_cache_was_not_built_for_is_refused(
        extra, match, caches, tmp_path, random_teacher_ckpt):
    _refused(tmp_path, caches / 'float32', random_teacher_ckpt, match,
             **extra)


def test_another_teacher_file_is_refused(caches, tmp_path,
                                         random_teacher_ckpt):
    other = tmp_path / 'other.pth'
    state = torch.load(random_teacher_ckpt)
    state['meta'] = {'epoch': 1}
    torch.save(state, other)
    _refused(tmp_path, caches / 'float32', str(other),
             r'the teacher checkpoint sha256 is')


def test_feature_distillation_cannot_read_a_cache(
        caches, tmp_path, random_teacher_ckpt):
    _refused(tmp_path, caches / 'float32', random_teacher_ckpt,
             r"holds the teacher's logits \(head.fc\) only.*feature "
             r'distillation', config=OFD_CONFIG)


def test_the_command_line_builds_a_cache(tmp_path, random_teacher_ckpt,
                                         capsys):
    tool = load_tool('tools/cache_teacher.py')
    options = [f'{k}={v}' for k, v in _options(random_teacher_ckpt).items()]
    assert tool.main([KD_CONFIG, '--epochs', '1', '--out',
                      str(tmp_path / 'c'), '--cfg-options'] + options) == 0
    assert 'wrote 1 epoch(s) of teacher logits' in capsys.readouterr().out
    manifest = read_manifest(tmp_path / 'c')
    assert manifest['num_samples'] == 32 and manifest['num_classes'] == 10
    assert manifest['teacher_accuracy'] is not None


def _build_rank(rank, init_file, out, teacher):
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        _build(out, teacher, 'float32', epochs=1)
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_a_two_rank_build_equals_a_one_process_build(caches, tmp_path,
                                                     random_teacher_ckpt):
    out = tmp_path / 'two_ranks'
    torch.multiprocessing.spawn(
        _build_rank,
        args=(str(tmp_path / 'init'), str(out), random_teacher_ckpt),
        nprocs=2)
    assert (out / 'epoch_0.npy').read_bytes() == (
        caches / 'float32' / 'epoch_0.npy').read_bytes()


_MIXING = """
data_preprocessor = dict(batch_augments=dict(augments=[
    dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
"""


@pytest.fixture(scope='module')
def mixing_config(tmp_path_factory):
    path = tmp_path_factory.mktemp('mixing') / 'kd_mixing.py'
    return write_config(path, KD_CONFIG, _MIXING)


@pytest.mark.slow
def test_a_run_that_mixes_its_batches_reads_the_teacher_on_them(
        mixing_config, tmp_path, random_teacher_ckpt):
    cache = tmp_path / 'cache'
    manifest = _build(cache, random_teacher_ckpt, 'float32',
                      config=mixing_config)
    assert manifest['mixing'] == dict(world_size=1, batch_size=16,
                                      iters_per_epoch=2)
    online, cached = tmp_path / 'online', tmp_path / 'cached'
    train_in_process(mixing_config, online, _options(random_teacher_ckpt))
    train_in_process(
        mixing_config, cached,
        _options(random_teacher_ckpt, **{'model.teacher_cache': str(cache)}))
    rows_online, rows_cached = scalars(online), scalars(cached)
    assert sorted(rows_online) == sorted(rows_cached) == list(range(1, 5))
    for it, row in rows_online.items():
        assert rows_cached[it]['distill.loss_kd'] == pytest.approx(
            row['distill.loss_kd'], rel=1e-5), it
    # A run with another batch composition is refused.
    _refused(tmp_path / 'refused', cache, random_teacher_ckpt,
             r'the batch size per process is 16 in the cache and 8',
             config=mixing_config, **{'train_dataloader.batch_size': 8})


def test_a_run_from_a_cache_seeds_its_augmentation_by_default(
        caches, random_teacher_ckpt, tmp_path):
    options = _options(random_teacher_ckpt,
                       **{'model.teacher_cache': str(caches / 'float32'),
                          'work_dir': str(tmp_path)})
    del options['train_dataloader.seeded_augment']
    runner = build_runner(load_config(KD_CONFIG, options))
    assert runner.cfg.train_dataloader.seeded_augment is True


def test_the_top_k_rule_keeps_the_kept_classes_and_the_rest_mass():
    """Independent of the cache: restored probabilities at tau equal the
    teacher's for the top-k classes and the target, and the other classes
    share the rest of the mass evenly."""
    from mmcls_kd.cache.topk import encode_topk, restore_topk
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 10, generator=g, dtype=torch.float64) * 3
    target = torch.tensor([0, 9, 3, 3, 7, 1])
    tau, k = 4.0, 3
    record = {n: v.numpy() for n, v in
              encode_topk(logits, target, k, tau).items()}
    restored = torch.from_numpy(restore_topk(record, 10, tau)).double()
    p_full = torch.softmax(logits / tau, dim=1)
    p_kept = torch.softmax(restored / tau, dim=1)
    for row in range(6):
        kept = set(logits[row].topk(k).indices.tolist()) | {
            int(target[row])}
        others = [c for c in range(10) if c not in kept]
        for c in kept:
            assert p_kept[row, c].item() == pytest.approx(
                p_full[row, c].item(), rel=1e-5)
        share = p_full[row, others].sum().item() / len(others)
        for c in others:
            assert p_kept[row, c].item() == pytest.approx(share, rel=1e-5)


@pytest.mark.slow
def test_a_top_k_cache_serves_its_temperature_within_its_loss(
        caches, tmp_path, random_teacher_ckpt, capsys):
    cache = tmp_path / 'top5'
    cfg = load_config(KD_CONFIG, _options(
        random_teacher_ckpt, **{'train_dataloader.num_workers': 0,
                                'train_dataloader.persistent_workers': False}))
    manifest = build_cache(cfg, str(cache), EPOCHS, 'float32', topk=5)
    assert manifest['temperature'] == 4.0  # the KD quick start's tau
    assert 0 < manifest['topk_kl'] < 0.05
    online, cached = tmp_path / 'online', tmp_path / 'cached'
    train_in_process(KD_CONFIG, online, _options(random_teacher_ckpt))
    train_in_process(
        KD_CONFIG, cached,
        _options(random_teacher_ckpt, **{'model.teacher_cache': str(cache)}))
    for it, row in scalars(online).items():
        # The KD loss moves by about the KL the builder reported.
        assert abs(scalars(cached)[it]['distill.loss_kd'] -
                   row['distill.loss_kd']) < 0.1 * row['distill.loss_kd']
    # Another temperature is refused: the cache restores tau 4 only.
    _refused(tmp_path / 'refused', cache, random_teacher_ckpt,
             r"the losses' temperature is 4.0 in the cache and 2.0",
             **{'model.distiller.distill_losses.loss_kd.tau': 2.0})


def test_a_top_k_cache_refuses_a_learnt_temperature():
    from mmengine.config import Config

    from mmcls_kd.cache.topk import cache_temperature
    cfg = Config(dict(model=dict(distiller=dict(distill_losses=dict(
        loss_ctkd=dict(type='CTKDLoss'))))))
    with pytest.raises(ValueError, match='learns its temperature'):
        cache_temperature(cfg)


def test_a_second_build_into_a_cache_in_use_stops(tmp_path,
                                                  random_teacher_ckpt):
    import json
    import socket
    import subprocess
    import sys

    from mmcls_kd.engine.workdir_lock import LOCK_NAME, WorkDirLocked
    builder = subprocess.Popen(
        [sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        out = tmp_path / 'cache'
        out.mkdir()
        (out / LOCK_NAME).write_text(json.dumps(
            dict(host=socket.gethostname(), pid=builder.pid, started='x')))
        with pytest.raises(WorkDirLocked,
                           match=rf'in use by the run of PID {builder.pid}'):
            _build(out, random_teacher_ckpt, 'float32', epochs=1)
        assert not list(out.glob('epoch_*'))
    finally:
        builder.kill()
        builder.wait()
