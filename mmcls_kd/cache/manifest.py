"""What a teacher cache is valid for, and the check of a run against it.

A cache holds the teacher's logits on the augmented images of one recipe
and one seed: the same teacher file, training pipeline, data list and seed,
and at least as many epochs as the run trains. Each field that differs is
named with the cache's value and the run's, before anything is built.
"""
import hashlib
import json
import os.path as osp
from typing import Any, Dict, List, Optional

FORMAT_VERSION = 2


def _json(value: Any) -> Any:
    """``value`` as plain JSON (tuples as lists, keys sorted)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def teacher_file_sha(teacher_ckpt: str) -> str:
    """The sha256 of the teacher checkpoint (a URL: of its cached
    download)."""
    from mmcls_kd.checkpoint import download_checkpoint, file_sha256
    if teacher_ckpt.startswith(('http://', 'https://')):
        teacher_ckpt = download_checkpoint(teacher_ckpt)
    return file_sha256(teacher_ckpt)


def data_list_sha(dataset) -> str:
    """A hash of what the training set holds, in order: each sample's image
    path relative to the data root (or its pixels, for data sets held in
    memory) and its label. Moving the data elsewhere keeps it."""
    digest = hashlib.sha256()
    root = getattr(dataset, 'data_root', '') or ''
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        path = info.get('img_path')
        if path is not None:
            digest.update(osp.relpath(path, root).encode() if root else
                          osp.basename(path).encode())
        elif 'img' in info:
            digest.update(memoryview(info['img']).tobytes())
        digest.update(str(info.get('gt_label')).encode())
    return digest.hexdigest()


def train_pipeline(cfg) -> List[dict]:
    """The run's resolved training pipeline."""
    dataset = cfg.train_dataloader.dataset
    return _json(dataset.get('pipeline', []))


def batch_augments(cfg) -> Optional[dict]:
    """The student's batch augments (Mixup/CutMix), if any."""
    model = cfg.model
    for preprocessor in (model.get('architecture', {}).get(
            'data_preprocessor'), cfg.get('data_preprocessor')):
        if isinstance(preprocessor, dict) and preprocessor.get(
                'batch_augments'):
            return _json(preprocessor['batch_augments'])
    return None


def make_manifest(cfg,
                  dataset,
                  epochs: int,
                  dtype: str,
                  num_classes: int,
                  mixing: Optional[dict] = None) -> Dict[str, Any]:
    """The manifest of a cache built from ``cfg`` over ``dataset``;
    ``mixing`` (world size, per-process batch, iterations per epoch) when
    the student mixes its batches, whose composition the rows then follow.
    """
    return dict(
        format=FORMAT_VERSION,
        teacher=dict(
            checkpoint=cfg.model.teacher_ckpt,
            sha256=teacher_file_sha(cfg.model.teacher_ckpt),
            autocast=cfg.model.get('teacher_autocast') or 'float32',
            memory_format='channels_last'
            if cfg.model.get('channels_last') else 'contiguous',
            compiled=bool(cfg.model.get('teacher_compile'))),
        pipeline=train_pipeline(cfg),
        data_sha256=data_list_sha(dataset),
        num_samples=len(dataset),
        num_classes=num_classes,
        seed=cfg.randomness.seed,
        epochs=epochs,
        dtype=dtype,
        topk=None,
        batch_augments=batch_augments(cfg),
        mixing=mixing)


class CacheMismatchError(ValueError):
    """A run that the teacher cache was not built for."""


def check_run(manifest: dict,
              cfg,
              cache_dir: str,
              dataset=None,
              world_size: Optional[int] = None) -> None:
    """Refuse a run of ``cfg`` that ``manifest`` does not cover, naming the
    first field that differs with the cache's value and the run's.

    ``dataset`` (the built training set) adds the data check, and
    ``world_size`` that of the number of processes (both known once the
    run is set up).
    """

    def refuse(field: str, cached: Any, run: Any, how: str = '') -> None:
        raise CacheMismatchError(
            f'teacher cache {cache_dir} was built for another run: {field} '
            f'is {cached!r} in the cache and {run!r} in this run{how}')

    if manifest.get('format') != FORMAT_VERSION:
        refuse('the cache format', manifest.get('format'), FORMAT_VERSION,
               ' (rebuild the cache with tools/cache_teacher.py)')
    teacher_ckpt = cfg.model.get('teacher_ckpt')
    recorded = manifest['teacher']
    if teacher_ckpt and (osp.isfile(teacher_ckpt)
                         or teacher_ckpt.startswith(('http://', 'https://'))):
        sha = teacher_file_sha(teacher_ckpt)
        if sha != recorded['sha256']:
            refuse('the teacher checkpoint sha256', recorded['sha256'], sha,
                   f' ({teacher_ckpt})')
    autocast = cfg.model.get('teacher_autocast') or 'float32'
    if autocast != recorded['autocast']:
        refuse('the teacher\'s autocast dtype', recorded['autocast'],
               autocast, ' (model.teacher_autocast)')
    seed = cfg.get('randomness', {}).get('seed')
    if seed != manifest['seed']:
        refuse('randomness.seed', manifest['seed'], seed)
    if train_pipeline(cfg) != manifest['pipeline']:
        refuse('the training pipeline', manifest['pipeline'],
               train_pipeline(cfg))
    max_epochs = cfg.train_cfg.get('max_epochs')
    if max_epochs is None or max_epochs > manifest['epochs']:
        refuse('the number of epochs', manifest['epochs'], max_epochs,
               ' (the run trains more epochs than the cache holds)')
    if batch_augments(cfg) != manifest.get('batch_augments'):
        refuse('the batch augments (Mixup/CutMix)',
               manifest.get('batch_augments'), batch_augments(cfg))
    if manifest.get('topk'):
        from .topk import cache_temperature
        tau = cache_temperature(cfg)
        if tau != manifest['temperature']:
            refuse('the losses\' temperature', manifest['temperature'], tau,
                   ' (a top-k cache restores the teacher at its own '
                   'temperature only)')
    mixing = manifest.get('mixing')
    if mixing is not None:
        # Mixed images depend on which samples share a batch.
        batch = cfg.train_dataloader.get('batch_size')
        if batch != mixing['batch_size']:
            refuse('the batch size per process', mixing['batch_size'], batch,
                   ' (the cache holds the teacher on the mixed batches)')
        if world_size is not None and world_size != mixing['world_size']:
            refuse('the number of processes', mixing['world_size'],
                   world_size,
                   ' (the cache holds the teacher on the mixed batches)')
    if dataset is not None:
        if len(dataset) != manifest['num_samples']:
            refuse('the number of training samples',
                   manifest['num_samples'], len(dataset))
        sha = data_list_sha(dataset)
        if sha != manifest['data_sha256']:
            refuse('the training data list sha256', manifest['data_sha256'],
                   sha)
