"""Checks of a config that fail before anything is built, naming the key
and what was expected: ``KDRunner.from_cfg`` runs them, so ``tools/train.py``,
``Runner.from_cfg`` and ``mim`` users all get them."""
import os
import os.path as osp
import re
from typing import Any, Iterator, Optional, Tuple

from mmengine.config import Config

# ``torchvision://``, ``open-mmlab://``, ``mmcls://``, ``https://``, ``s3://``
# ...: MMEngine's checkpoint loader resolves these itself.
_REMOTE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')
_PRETRAINED = ('Pretrained', 'PretrainedInit')


def preflight(cfg) -> None:
    """Every check of this module."""
    check_helper_keys(cfg)
    check_data_paths(cfg)
    check_class_folders(cfg)
    check_checkpoint_paths(cfg)
    check_teacher_cache(cfg)
    check_views(cfg)


def check_helper_keys(cfg) -> None:
    """Refuse a top-level ``teacher`` / ``teacher_ckpt`` that is set and
    differs from the model's (``--cfg-options teacher_ckpt=X`` instead of
    ``model.teacher_ckpt=X``)."""
    model = cfg.get('model') or {}
    for key in ('teacher', 'teacher_ckpt'):
        helper = cfg.get(key)
        if helper is not None and helper != model.get(key):
            raise ValueError(
                f'the top-level {key} differs from model.{key}, which is the '
                f'one the model uses: set model.{key} instead (e.g. '
                f'--cfg-options model.{key}=...)')


def _datasets(cfg: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """Every dataset config under ``cfg``, wrappers included."""
    yield where, cfg
    if isinstance(cfg.get('dataset'), dict):
        yield from _datasets(cfg['dataset'], f'{where}.dataset')
    for i, child in enumerate(cfg.get('datasets') or []):
        if isinstance(child, dict):
            yield from _datasets(child, f'{where}.datasets[{i}]')


def _loader_datasets(
        cfg, loader_keys: Tuple[str, ...]) -> Iterator[Tuple[str, dict]]:
    """``(key path, data set config)`` of every data set, wrapped ones
    included, of the loaders ``loader_keys`` of ``cfg``."""
    for loader_key in loader_keys:
        loader = cfg.get(loader_key)
        if isinstance(loader, dict) and isinstance(loader.get('dataset'),
                                                   dict):
            yield from _datasets(loader['dataset'], f'{loader_key}.dataset')


def used_loaders(cfg) -> Tuple[str, ...]:
    """The data loaders a run of ``cfg`` uses: training and validation for a
    training run, the test loader for an evaluation (``tools/test.py``
    drops the training parts)."""
    if cfg.get('train_dataloader') is not None:
        return ('train_dataloader', 'val_dataloader')
    return ('test_dataloader', )


def set_data_root(cfg, data_root: str) -> None:
    """Point every data set of the loaders the run uses (wrapped ones
    included) at ``data_root``: ``--data-root`` of the tools."""
    for _, dataset in _loader_datasets(cfg, used_loaders(cfg)):
        inner = dataset.get('dataset') or dataset.get('datasets')
        if 'data_root' in dataset or not inner:
            dataset['data_root'] = data_root


def check_data_paths(cfg: Config) -> None:
    """Fail before anything is built when a data set's files are missing.

    Checks ``data_root`` and ``ann_file`` (relative to ``data_root``) of the
    data loaders the run uses (:func:`used_loaders`), and names the key and
    the path.
    """
    for where, dataset in _loader_datasets(cfg, used_loaders(cfg)):
        root = dataset.get('data_root') or ''
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'{where}.data_root does not exist: {root} (set it with '
                f'--data-root PATH or --cfg-options {where}.data_root=PATH)')
        ann_file = dataset.get('ann_file') or ''
        if ann_file:
            path = osp.join(root, ann_file)
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{where}.ann_file does not exist: {path}')


def _folder_classes(dataset: dict) -> Optional[str]:
    """The folder whose sub-folders name the classes of ``dataset``, or None
    when its classes come from elsewhere (``classes``, meta files, an
    annotation file, the data set's own class list)."""
    from mmpretrain.datasets import CustomDataset

    from mmcls_kd.registry import DATASETS
    kind = dataset.get('type')
    cls = DATASETS.get(kind) if isinstance(kind, str) else kind
    if not (isinstance(cls, type) and issubclass(cls, CustomDataset)):
        return None
    if (cls.METAINFO.get('classes') or dataset.get('classes')
            or (dataset.get('metainfo') or {}).get('classes')
            or dataset.get('ann_file') or not dataset.get('with_label', True)):
        return None
    prefix = dataset.get('data_prefix') or ''
    if isinstance(prefix, dict):
        prefix = prefix.get('img_path') or ''
    folder = osp.join(dataset.get('data_root') or '', osp.expanduser(prefix))
    return folder if osp.isdir(folder) else None


def check_class_folders(cfg: Config) -> None:
    """Fail when the training and validation sets take their classes from
    their sub-folders and the two lists differ: a folder missing on one side
    shifts the label index of every class after it, so the run would train
    and validate against different labels. Names the folders that differ."""
    from mmpretrain.datasets.custom import find_folders
    found = {}
    for where, dataset in _loader_datasets(
            cfg, ('train_dataloader', 'val_dataloader')):
        folder = _folder_classes(dataset)
        if folder is not None:
            found[where] = (folder, find_folders(folder)[0])
    if len(found) < 2:
        return
    (train_key, (train_dir, train)), (val_key, (val_dir, val)) = list(
        found.items())[:2]
    if train == val:
        return
    only_train = sorted(set(train) - set(val))
    only_val = sorted(set(val) - set(train))
    raise ValueError(
        f'{train_key} ({train_dir}) and {val_key} ({val_dir}) take their '
        f'classes from their sub-folders, and these differ, so every class '
        f'after the first difference would get another label index in '
        f'validation than in training: only in training: '
        f'{only_train or "none"}; only in validation: {only_val or "none"}. '
        f'Make the folders match, or give both data sets the same '
        f'`classes`.')


def _local_checkpoints(node: Any, where: str) -> Iterator[Tuple[str, str]]:
    """``(key path, checkpoint)`` of every ``Pretrained`` ``init_cfg`` and
    every ``teacher_ckpt`` under ``node``."""
    if isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            # MMEngine's --cfg-options index lists this way.
            yield from _local_checkpoints(child, f'{where}.{i}')
        return
    if not isinstance(node, dict):
        return
    kind = node.get('type')
    if (isinstance(kind, str) and kind.split('.')[-1] in _PRETRAINED
            and isinstance(node.get('checkpoint'), str)):
        yield f'{where}.checkpoint', node['checkpoint']
    if isinstance(node.get('teacher_ckpt'), str):
        yield f'{where}.teacher_ckpt', node['teacher_ckpt']
    for key, child in node.items():
        yield from _local_checkpoints(child, f'{where}.{key}')


def check_checkpoint_paths(cfg: Config) -> None:
    """Fail before anything is built when a local checkpoint the model
    loads is missing: the ``checkpoint`` of every ``Pretrained``
    ``init_cfg`` (e.g. a detector's backbone) and every ``teacher_ckpt``.

    URLs and ``scheme://`` names (``torchvision://``, ``open-mmlab://``, ...)
    are left to MMEngine's loader. The error names the key and the path.
    """
    for where, path in _local_checkpoints(cfg.get('model'), 'model'):
        if (not path or _REMOTE.match(path)
                or osp.isfile(osp.expanduser(path))):
            continue
        relative = '' if osp.isabs(path) else \
            f' (relative to the working directory {os.getcwd()})'
        raise FileNotFoundError(
            f'{where} does not exist: {path}{relative} (set it with '
            f'--cfg-options {where}=PATH{_teacher_hint(path)})')


def _teacher_hint(path: str) -> str:
    from mmcls_kd.apis.teachers import missing_teacher_hint
    return missing_teacher_hint(path)


def check_teacher_cache(cfg) -> None:
    """A run from a teacher cache (``model.teacher_cache``): the cache
    must have been built for this teacher, pipeline, seed and at least as
    many epochs, and the training loader must carry (epoch, sample) keys."""
    cache = (cfg.get('model') or {}).get('teacher_cache')
    if not cache or cfg.get('train_dataloader') is None:
        return
    from mmcls_kd.cache import check_run, read_manifest, refuse_multi_view
    refuse_multi_view(cfg.model.get('distiller', {}).get('distill_losses'),
                      f'model.teacher_cache={cache}')
    if not cfg.train_dataloader.get('seeded_augment'):
        raise ValueError(
            f'model.teacher_cache={cache}: the cache is read by epoch and '
            'sample, and holds the augmentation seeded by them; leave '
            'train_dataloader.seeded_augment on (True, the default with a '
            'cache)')
    check_run(read_manifest(cache), cfg, cache)


def _pipeline_views(pipeline) -> int:
    """How many views of each image a pipeline gives: the views of its
    ``MultiView`` transform (MMPretrain's), 1 without one."""
    for transform in pipeline or []:
        kind = transform.get('type') if isinstance(transform, dict) else None
        if isinstance(kind, str) and kind.split('.')[-1] == 'MultiView':
            views = transform.get('num_views', 1)
            return sum(views) if isinstance(views, (list, tuple)) else views
    return 1


def _preprocessor_views(cfg) -> tuple:
    """``(type name, views)`` of the data preprocessor the model uses: the
    student's own, else the model's, else the top-level one (the order in
    which the runner and ``TeacherDistill`` hand them down)."""
    import inspect

    from mmcls_kd.registry import MODELS
    model = cfg.get('model') or {}
    preprocessor = ((model.get('architecture') or {}).get('data_preprocessor')
                    or model.get('data_preprocessor')
                    or cfg.get('data_preprocessor') or {})
    kind = preprocessor.get('type', 'ClsDataPreprocessor')
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    views = preprocessor.get('num_views')
    if views is None and cls is not None:
        param = inspect.signature(cls).parameters.get('num_views')
        views = param.default if param is not None else 1
    return getattr(cls, '__name__', str(kind)), views or 1


def check_views(cfg) -> None:
    """A loss that reads several views of each training image (MLKD's weak
    and strong) needs a training pipeline that makes them and a data
    preprocessor that hands them to the model: fail before anything is
    built, naming the loss, the key and both counts."""
    if cfg.get('train_dataloader') is None:
        return
    from mmcls_kd.models.data_preprocessors import loss_views
    losses = loss_views(((cfg.get('model') or {}).get('distiller')
                         or {}).get('distill_losses'))
    if not losses:
        return
    name, (kind, views) = next(iter(losses.items()))
    where = f'model.distiller.distill_losses.{name} ({kind})'
    for key, dataset in _loader_datasets(cfg, ('train_dataloader', )):
        if 'pipeline' not in dataset:
            continue
        given = _pipeline_views(dataset['pipeline'])
        if given != views:
            raise ValueError(
                f'{where} reads {views} views of each training image, and '
                f'{key}.pipeline gives {given}: wrap its augmentations in '
                f"MMPretrain's MultiView transform, e.g. dict(type="
                f"'MultiView', num_views=[1, 1], transforms=[weak, strong]) "
                f'before PackInputs (configs/mlkd/ shows one)')
    preprocessor, given = _preprocessor_views(cfg)
    if given != views:
        raise ValueError(
            f'{where} reads {views} views of each training image, and the '
            f'data preprocessor ({preprocessor}) hands the model {given}: '
            f"set data_preprocessor=dict(type='MultiViewDataPreprocessor', "
            f'num_views={views})')
