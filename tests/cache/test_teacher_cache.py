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
# DOT changes the optimizer, not the teacher: the KD quick start's cache
# serves it.
DOT_CONFIG = os.path.join(QUICK,
                          'dot_resnet34-w32_resnet18-w16_1xb32_digits.py')
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
@pytest.mark.parametrize('config',
                         [KD_CONFIG, NKD_CONFIG, DKD_CONFIG, DOT_CONFIG])
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
    ({'model.teacher_autocast': 'bfloat16'},
     r"the teacher's autocast dtype is 'float32' in the cache and "
     r"'bfloat16'"),
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


def test_a_cache_of_an_older_format_is_refused(caches, tmp_path,
                                               random_teacher_ckpt):
    import json
    import shutil
    old = tmp_path / 'old'
    shutil.copytree(caches / 'float32', old)
    manifest = json.loads((old / 'manifest.json').read_text())
    manifest['format'] = 1
    (old / 'manifest.json').write_text(json.dumps(manifest))
    _refused(tmp_path, old, random_teacher_ckpt,
             r'the cache format is 1 in the cache and 2 in this run')


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
    # A top-k cache of the mixed batches keeps both classes of each image.
    from mmcls_kd.cache import CacheReader
    from mmcls_kd.cache.store import part_files
    top = tmp_path / 'top5'
    cfg = load_config(mixing_config, _options(
        random_teacher_ckpt, **{'train_dataloader.num_workers': 0,
                                'train_dataloader.persistent_workers': False}))
    build_cache(cfg, str(top), EPOCHS, 'float32', topk=5,
                progress=lambda _: None)
    for epoch in range(EPOCHS):
        rows = list(range(32))
        full = CacheReader(str(cache)).logits([epoch] * 32, rows).double()
        restored = CacheReader(str(top)).logits([epoch] * 32, rows).double()
        slots = np.load(part_files(str(top), epoch, ['logits', 'target'])
                        ['target'])
        assert slots.shape == (32, 2)
        # Most mixed images show two classes; both are kept exactly.
        assert (slots[:, 0] != slots[:, 1]).mean() > 0.5
        kept = [set(full[row].topk(5).indices.tolist()) | set(slots[row])
                for row in rows]
        _kept_and_rest(torch.softmax(full / 4, 1),
                       torch.softmax(restored / 4, 1), kept)


def test_a_run_from_a_cache_seeds_its_augmentation_by_default(
        caches, random_teacher_ckpt, tmp_path):
    options = _options(random_teacher_ckpt,
                       **{'model.teacher_cache': str(caches / 'float32'),
                          'work_dir': str(tmp_path)})
    del options['train_dataloader.seeded_augment']
    runner = build_runner(load_config(KD_CONFIG, options))
    assert runner.cfg.train_dataloader.seeded_augment is True


def _kept_and_rest(full, restored, kept):
    """Assert the restored probabilities of the kept classes and the rest's
    total equal the teacher's (rows of (N, C) float64 probabilities)."""
    for row, classes in enumerate(kept):
        others = [c for c in range(full.shape[1]) if c not in classes]
        for c in classes:
            assert restored[row, c].item() == pytest.approx(
                full[row, c].item(), rel=1e-5)
        assert restored[row, others].sum().item() == pytest.approx(
            full[row, others].sum().item(), rel=1e-5)


def test_the_top_k_rule_keeps_the_kept_classes_and_the_rest_mass():
    """Independent of the cache: restored probabilities at tau equal the
    teacher's for the top-k classes and both target slots, and the other
    classes share the rest of the mass evenly."""
    from mmcls_kd.cache.topk import encode_topk, restore_topk
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 10, generator=g, dtype=torch.float64) * 3
    targets = torch.tensor([[0, 5], [9, 9], [3, 0], [3, 2], [7, 8], [1, 4]])
    tau, k = 4.0, 3
    record = {n: v.numpy() for n, v in
              encode_topk(logits, targets, k, tau).items()}
    restored = torch.from_numpy(restore_topk(record, 10, tau)).double()
    p_full = torch.softmax(logits / tau, dim=1)
    p_kept = torch.softmax(restored / tau, dim=1)
    kept = [set(logits[row].topk(k).indices.tolist()) | set(
        targets[row].tolist()) for row in range(6)]
    _kept_and_rest(p_full, p_kept, kept)
    for row, classes in enumerate(kept):
        others = [c for c in range(10) if c not in classes]
        share = p_full[row, others].sum().item() / len(others)
        for c in others:
            assert p_kept[row, c].item() == pytest.approx(share, rel=1e-5)


@pytest.mark.parametrize('tau', ['norm', 'zscore'])
def test_a_top_k_row_keeps_its_deviation_for_a_per_sample_temperature(tau):
    """NormKD's and logit standardisation's temperature is computed by the
    loss from the restored row: the row keeps the teacher's mean and
    standard deviation, so the loss's own softening gives the kept classes
    and the rest the teacher's probabilities at the teacher's temperature.
    """
    from mmcls_kd.cache.topk import encode_topk, restore_topk
    from mmcls_kd.models.losses.ops import soften
    g = torch.Generator().manual_seed(1)
    num_classes, k, t_norm = 100, 5, 2.0
    logits = torch.randn(8, num_classes, generator=g,
                         dtype=torch.float64) * 2
    targets = torch.randint(0, num_classes, (8, 1), generator=g)
    temperature = dict(tau=tau, t_norm=t_norm)
    record = {n: v.numpy() for n, v in
              encode_topk(logits, targets, k, temperature).items()}
    restored = torch.from_numpy(
        restore_topk(record, num_classes, temperature)).double()
    assert torch.allclose(restored.std(1), logits.std(1), rtol=1e-5)
    assert torch.allclose(restored.mean(1), logits.mean(1), atol=1e-5)
    # The teacher's distribution, written out: z / (t_norm * std), plus
    # 1e-7 on the deviation for z-scores.
    eps = 1e-7 if tau == 'zscore' else 0.0
    full = torch.softmax(
        logits / ((logits.std(1, keepdim=True) + eps) * t_norm), dim=1)
    softened, _ = soften(restored, tau, t_norm)
    kept = [set(logits[row].topk(k).indices.tolist()) | {
        int(targets[row])} for row in range(8)]
    _kept_and_rest(full, torch.softmax(softened, dim=1), kept)


def test_a_row_whose_deviation_cannot_be_kept_is_flagged():
    """A sharp per-sample temperature on a row whose other classes nearly
    agree: the one free class cannot bring the deviation down to the
    teacher's; the row is flagged (the builder then refuses the cache),
    and it is flagged exactly when the deviation is not kept."""
    from mmcls_kd.cache.topk import encode_topk, restore_topk
    logits = torch.tensor([[0.93, -1.83, -0.04, 0.18, -0.01]],
                          dtype=torch.float64)
    for t_norm, ok in ((2.0, True), (0.1, False)):
        temperature = dict(tau='norm', t_norm=t_norm)
        record = {n: v.numpy() for n, v in encode_topk(
            logits, torch.tensor([[1]]), 1, temperature).items()}
        restored, feasible = restore_topk(record, 5, temperature,
                                          with_feasible=True)
        error = abs(float(torch.from_numpy(restored).double().std()) -
                    float(logits.std()))
        assert bool(feasible[0]) is ok
        assert (error < 1e-5) is ok, error


def test_a_top_k_cache_takes_each_loss_temperature():
    from mmengine.config import Config

    from mmcls_kd.cache.topk import cache_temperature

    def losses(**kwargs):
        return Config(dict(model=dict(distiller=dict(
            distill_losses=kwargs))))

    assert cache_temperature(losses(a=dict(type='NormKDLoss', t_norm=1.5))
                             ) == dict(tau='norm', t_norm=1.5)
    assert cache_temperature(losses(
        a=dict(type='DKDLoss', tau='zscore', t_norm=3.0))) == dict(
            tau='zscore', t_norm=3.0)
    assert cache_temperature(losses(a=dict(type='KDLoss', tau=4),
                                    b=dict(type='NKDLoss', tau=4.0))) == 4.0
    with pytest.raises(ValueError, match='the temperatures'):
        cache_temperature(losses(a=dict(type='KDLoss', tau=4),
                                 b=dict(type='NormKDLoss')))


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


def test_mlkd_two_views_are_refused(tmp_path, random_teacher_ckpt):
    # The cache holds one view per sample; MLKD reads the teacher on two.
    mlkd = os.path.join(QUICK,
                        'mlkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
    named = (r'loss_mlkd \(MLKDLoss\) reads the teacher on 2 augmented '
             r'views of each image, and a teacher cache holds the logits of '
             r'one view per sample')
    with pytest.raises(ValueError, match='a teacher cache: ' + named):
        _build(tmp_path / 'cache', random_teacher_ckpt, 'float32',
               config=mlkd)
    assert not (tmp_path / 'cache').exists()
    cfg = load_config(mlkd, _options(random_teacher_ckpt, **{
        'work_dir': str(tmp_path / 'run'),
        'model.teacher_cache': str(tmp_path / 'cache')
    }))
    with pytest.raises(ValueError,
                       match=f'model.teacher_cache={tmp_path}/cache: ' +
                       named):
        build_runner(cfg)
    from mmcls_kd.models.algorithms.teacher_distill import check_cacheable
    with pytest.raises(ValueError, match=r'teacher_cache \S+: ' + named):
        check_cacheable(cfg.model.distiller, str(tmp_path / 'cache'))
