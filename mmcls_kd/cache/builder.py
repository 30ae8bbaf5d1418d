"""Run a config's teacher over its training set, epoch by epoch, on the
augmented images the student will see, and store the logits."""
import os
import uuid
from typing import Callable, Optional

import torch
from mmengine.dist import barrier, get_rank, get_world_size
from mmengine.logging import MessageHub

from mmcls_kd.datasets.seeded import seed_batch_augments
from mmcls_kd.engine.workdir_lock import lock_work_dir
from mmcls_kd.models.algorithms.utils import classifier_classes
from .manifest import make_manifest
from .store import (DTYPES, EpochWriter, complete_epochs, mixed_row_index,
                    mixed_rows, read_manifest, record_parts, write_manifest)
from .teacher import refuse_multi_view
from .topk import cache_temperature, encode_topk, restore_topk, topk_kl


def _refuse_unless_cacheable(cfg) -> None:
    model = cfg.model
    if model.get('type') != 'TeacherDistill' or not model.get('teacher_ckpt'):
        raise ValueError('a teacher cache is built from a distillation config '
                         'with a teacher (TeacherDistill and '
                         'model.teacher_ckpt; a timm teacher\'s weights '
                         'saved to a file, see configs/timm/README.md)')
    refuse_multi_view(
        (model.get('distiller') or {}).get('distill_losses'),
        'a teacher cache')
    if cfg.get('randomness', {}).get('seed') is None:
        raise ValueError('a teacher cache holds the augmentation of one seed: '
                         'set randomness.seed')


def _loader(cfg, batch_size: Optional[int], mixing: bool):
    """The training loader with augmentation seeded by (seed, epoch,
    sample). Single images: any order and batch will do, the keys decide.
    Mixed batches: the run's own order and batch size, which decide what
    is mixed with what."""
    from mmcls_kd.engine import KDRunner
    loader = cfg.train_dataloader.to_dict()
    loader['seeded_augment'] = True
    loader['persistent_workers'] = False
    if not mixing:
        loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
        if batch_size:
            loader['batch_size'] = batch_size
    elif batch_size and batch_size != loader.get('batch_size'):
        raise ValueError('--batch-size: the student mixes its batches, so '
                         'the cache follows the run\'s batch size '
                         f'({loader.get("batch_size")})')
    return KDRunner.build_dataloader(loader, seed=cfg.randomness.seed)


def _targets(data: dict, mixing: Optional[dict]) -> torch.Tensor:
    """The target classes (N, S) of a batch: its labels, or the two classes
    of each mixed image (the two largest weights of its mixed score)."""
    samples = data['data_samples']
    if not mixing:
        return torch.cat([s.gt_label for s in samples])[:, None]
    scores = torch.stack([s.gt_score for s in samples])
    return scores.topk(2, dim=1).indices


def _record(manifest: dict, logits: torch.Tensor, data: dict) -> dict:
    """What the cache keeps of a batch's teacher logits."""
    if not manifest.get('topk'):
        return {'logits': logits.float()}
    targets = _targets(data, manifest.get('mixing'))
    record = encode_topk(logits, targets, manifest['topk'],
                         manifest['temperature'])
    if isinstance(manifest['temperature'], dict):
        # A per-sample temperature: every row must keep its deviation.
        _, feasible = restore_topk(
            {name: value.cpu().numpy()
             for name, value in record.items()}, manifest['num_classes'],
            manifest['temperature'], with_feasible=True)
        if not feasible.all():
            raise ValueError(
                f'--topk {manifest["topk"]}: {int((~feasible).sum())} of '
                f'{len(feasible)} rows cannot keep their standard deviation, '
                'which the per-sample temperature '
                f'{manifest["temperature"]} is computed from; give a larger '
                'K or cache the full logits')
    if 'topk_kl' not in manifest:
        # What the top-k rows lose, on the first batch built.
        manifest['topk_kl'] = topk_kl(logits.cpu(), targets.cpu(),
                                      manifest['topk'],
                                      manifest['temperature'])
    return record


def teacher_accuracy(algorithm, cfg) -> Optional[float]:
    """Top-1 of the teacher on the validation set, as the teacher-once
    validation would report it."""
    if not cfg.get('val_dataloader'):
        return None
    from mmcls_kd.engine import KDRunner
    loader = KDRunner.build_dataloader(cfg.val_dataloader.to_dict(),
                                       seed=cfg.randomness.seed)
    right = total = 0
    with torch.no_grad():
        for batch in loader:
            data = algorithm.data_preprocessor(batch, False)
            logits = algorithm.run_teacher(data['inputs'],
                                           data['data_samples'])
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            right += int((logits.argmax(1).cpu() == labels.cpu()).sum())
            total += len(labels)
    return 100.0 * right / max(total, 1)


def build_cache(cfg,
                out: str,
                epochs: int,
                dtype: str = 'float16',
                batch_size: Optional[int] = None,
                progress: Callable[[str], None] = print,
                topk: Optional[int] = None) -> dict:
    """Write the teacher's logits of epochs ``0 .. epochs - 1`` to ``out``
    (rows split over the ranks of a process group, if any); epochs already
    complete are kept, so a killed build continues where it stopped and
    gives the same files. ``topk``: keep the K largest logits of each row
    and what restores the rest at the losses' temperature
    (:mod:`mmcls_kd.cache.topk`). Returns the manifest."""
    from mmengine.registry import DefaultScope
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {DTYPES}, got {dtype!r}')
    _refuse_unless_cacheable(cfg)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcls_kd')):
        return _build(cfg, out, epochs, dtype, batch_size, progress, topk)


def _build(cfg, out: str, epochs: int, dtype: str,
           batch_size: Optional[int], progress: Callable[[str], None],
           topk: Optional[int]) -> dict:
    from mmcls_kd.apis.model import build_model
    rank, world = get_rank(), get_world_size()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    algorithm = build_model(cfg).to(device).eval()
    mixes = seed_batch_augments(algorithm.data_preprocessor,
                                cfg.randomness.seed)
    loader = _loader(cfg, batch_size, mixes)
    num_classes = classifier_classes(algorithm.teacher)
    mixing = dict(world_size=world, batch_size=loader.batch_size,
                  iters_per_epoch=len(loader)) if mixes else None
    # Two builds into one directory would write the same epoch files at
    # once: the second stops, naming the first (the work dir lock).
    lock = lock_work_dir(out)
    try:
        return _fill(cfg, out, epochs, dtype, topk, algorithm, loader,
                     num_classes, mixing, rank, world, progress)
    finally:
        if lock is not None:
            lock.release()


def _fill(cfg, out, epochs, dtype, topk, algorithm, loader, num_classes,
          mixing, rank, world, progress) -> dict:
    dataset = loader.dataset
    manifest = make_manifest(cfg, dataset, epochs, dtype, num_classes,
                             mixing)
    if getattr(algorithm, 'teacher_input', None) is not None:
        # Another conversion gives other logits from the same checkpoint.
        manifest['teacher']['input'] = algorithm.teacher_input.description
    if topk:
        if not 0 < topk < num_classes:
            raise ValueError(
                f'--topk {topk}: needs 0 < K < {num_classes} classes')
        manifest.update(topk=topk, temperature=cache_temperature(cfg))
    if os.path.isfile(os.path.join(out, 'manifest.json')):
        previous = read_manifest(out)
        varying = ('epochs', 'teacher_accuracy', 'topk_kl')
        kept = {k: v for k, v in previous.items() if k not in varying}
        if kept != {k: v for k, v in manifest.items() if k not in varying}:
            raise ValueError(f'{out} holds a cache of another teacher, '
                             'recipe or data: give another --out')
    done = set(complete_epochs(out, epochs))
    shape = (mixed_rows(mixing) if mixing else len(dataset), num_classes)
    # A new instance is the current one, which the seeded batch augments
    # read the epoch and iteration from.
    hub = MessageHub.get_instance(f'cache_teacher_{uuid.uuid4().hex}')
    for epoch in range(epochs):
        if epoch in done:
            progress(f'epoch {epoch}: cached already')
            continue
        parts = record_parts(manifest)
        if rank == 0:
            writer = EpochWriter(out, epoch, shape[0], parts, create=True)
        barrier()
        if rank != 0:
            writer = EpochWriter(out, epoch, shape[0], parts, create=False)
        loader.sampler.set_epoch(epoch)
        hub.update_info('epoch', epoch)
        with torch.no_grad():
            for step, batch in enumerate(loader):
                # The iteration the run will be at: what seeds the mixing.
                hub.update_info('iter', epoch * len(loader) + step)
                data = algorithm.data_preprocessor(batch, True)
                logits = algorithm.run_teacher(data['inputs'],
                                               data['data_samples'])
                rows = mixed_row_index(mixing, step, rank, len(logits)) if \
                    mixing else [s.sample_idx for s in data['data_samples']]
                writer.write(rows, _record(manifest, logits, data))
        writer.close()
        barrier()
        if rank == 0:
            writer.publish()
            progress(f'epoch {epoch}: {shape[0]} rows written by {world} '
                     f'process(es)')
            if 'topk_kl' in manifest:
                progress(f'top-{topk}: KL(full || restored) at tau '
                         f'{manifest["temperature"]} on the first batch: '
                         f'{manifest["topk_kl"]:.3g}')
        barrier()
    if rank == 0:
        manifest['teacher_accuracy'] = teacher_accuracy(algorithm, cfg)
        write_manifest(out, manifest)
    barrier()
    return manifest
