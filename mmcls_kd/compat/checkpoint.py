"""Checkpoint loading on torch >= 2.6, where ``torch.load`` is weights-only.

This module is the one place that decides which files are trusted.

* A run's own checkpoints are trusted: MMEngine writes them into the work dir
  with its bookkeeping (``HistoryBuffer``, numpy arrays, RNG state) that only a
  full unpickle restores, and resuming needs all of it. ``Runner.resume``
  marks the file it loads (see ``mmcls_kd.engine.runner``); ``--resume PATH``
  on the command line is the user naming their own checkpoint.
* Every other file (teachers, pretrained weights, ``load_from``, converter
  inputs) is loaded without running any code from the file: tensors and plain
  containers are rebuilt, MMEngine's and numpy's bookkeeping classes are
  replaced by inert stand-ins that are never constructed, and any other
  global (e.g. ``os.system``) stops the load with
  :class:`UnsafeCheckpointError`.
  URLs are downloaded to torch's hub cache (checked against the hash in the
  file name when there is one) and then follow the same rule.
  Setting ``MMCLS_KD_TRUST_CHECKPOINTS=1`` is the explicit opt-in to a full
  unpickle of such a file.
"""
import contextlib
import os
import os.path as osp
import pickle
import threading
from typing import Any, Iterator, Set

import torch

TRUST_ENV = 'MMCLS_KD_TRUST_CHECKPOINTS'

# Globals a weights-only load rebuilds for real: tensors, storages, containers.
_REAL_GLOBALS = {
    ('collections', 'OrderedDict'),
    ('torch', 'Size'),
    ('torch', 'device'),
    ('torch._tensor', '_rebuild_from_type_v2'),
    ('torch._utils', '_rebuild_tensor'),
    ('torch._utils', '_rebuild_tensor_v2'),
    ('torch._utils', '_rebuild_tensor_v3'),
    ('torch._utils', '_rebuild_parameter'),
    ('torch._utils', '_rebuild_parameter_with_state'),
    ('torch.nn.parameter', 'Parameter'),
}
# Bookkeeping MMEngine stores beside the weights (message hub, metadata).
# Loading weights does not need it, so it is replaced, never executed.
_INERT_GLOBALS = {
    ('__builtin__', 'getattr'),
    ('builtins', 'getattr'),
    ('_codecs', 'encode'),
    # The training options some CRD-lineage checkpoints store beside the
    # weights (``'opt'``).
    ('argparse', 'Namespace'),
    ('mmengine.logging.history_buffer', 'HistoryBuffer'),
    ('numpy', 'dtype'),
    ('numpy', 'ndarray'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.multiarray', '_reconstruct'),
}

_local = threading.local()


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs code outside the weights-only allow-list."""


class _Inert:
    """Stand-in for a bookkeeping object: takes any arguments, runs nothing."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __call__(self, *args, **kwargs) -> '_Inert':
        return _Inert()

    def __setstate__(self, state: Any) -> None:
        pass


def _real_global(module: str, name: str) -> Any:
    if (module, name) in _REAL_GLOBALS or (
            module == 'torch' and name.endswith('Storage')):
        return getattr(__import__(module, fromlist=[name]), name)
    return None


class _WeightsUnpickler(pickle.Unpickler):

    source = '<checkpoint>'

    def find_class(self, module: str, name: str) -> Any:
        real = _real_global(module, name)
        if real is not None:
            return real
        if (module, name) in _INERT_GLOBALS:
            return _Inert
        raise UnsafeCheckpointError(
            f'{self.source} needs `{module}.{name}` to unpickle, which could '
            'run arbitrary code, so it was not loaded. Only load it if you '
            f'trust where it came from: set {TRUST_ENV}=1 to allow it.')


class _WeightsPickleModule:
    """The ``pickle_module`` handed to ``torch.load``."""
    Unpickler = _WeightsUnpickler
    load = pickle.load
    __name__ = 'mmcls_kd_weights_pickle'


def _trusted() -> Set[str]:
    if not hasattr(_local, 'paths'):
        _local.paths = set()
    return _local.paths


@contextlib.contextmanager
def trusted_checkpoint(path: str) -> Iterator[None]:
    """Let ``path`` be fully unpickled while the context is open."""
    key = osp.realpath(osp.expanduser(path))
    added = key not in _trusted()
    _trusted().add(key)
    try:
        yield
    finally:
        if added:
            _trusted().discard(key)


def is_trusted(path: str) -> bool:
    return (os.environ.get(TRUST_ENV) == '1'
            or osp.realpath(osp.expanduser(path)) in _trusted())


def load_checkpoint_file(path: str, map_location: Any = 'cpu') -> Any:
    """Load a local checkpoint file under the trust rule of this module."""
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    if is_trusted(path):
        return torch.load(path, map_location=map_location, weights_only=False)

    class _Unpickler(_WeightsUnpickler):
        source = f'checkpoint {path}'

    class _Module(_WeightsPickleModule):
        Unpickler = _Unpickler

    try:
        return torch.load(
            path, map_location=map_location, pickle_module=_Module,
            weights_only=False)
    except UnsafeCheckpointError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise RuntimeError(
            f'checkpoint {path} could not be read ({err}); it may be '
            'truncated or not a PyTorch checkpoint') from err


def download_checkpoint(url: str) -> str:
    """Download ``url`` once into torch's hub cache and return the path.

    When the file name carries a hash (``name-<sha256 prefix>.pth``, as
    OpenMMLab's do) the download is checked against it. In a distributed run
    local rank 0 downloads while the others wait.
    """
    from mmengine.dist import barrier, get_dist_info
    from torch.hub import HASH_REGEX, download_url_to_file, get_dir
    from urllib.parse import urlparse

    filename = osp.basename(urlparse(url).path)
    cached = osp.join(get_dir(), 'checkpoints', filename)
    rank, world_size = get_dist_info()
    local_rank = int(os.environ.get('LOCAL_RANK', rank))
    if local_rank == 0 and not osp.isfile(cached):
        os.makedirs(osp.dirname(cached), exist_ok=True)
        match = HASH_REGEX.search(filename)
        try:
            download_url_to_file(
                url, cached, hash_prefix=match.group(1) if match else None,
                progress=False)
        except Exception as err:
            raise RuntimeError(
                f'could not download checkpoint {url}: {err}') from err
    if world_size > 1:
        barrier()
    return cached


def patch_mmengine_local_loader() -> None:
    """Route MMEngine's local-file checkpoint loading through the trust
    rule; MMEngine's own loader calls ``torch.load`` with torch's default,
    which refuses MMEngine's own training checkpoints on torch >= 2.6."""
    from mmengine.runner.checkpoint import CheckpointLoader

    def load_from_local(filename: str, map_location: Any) -> Any:
        return load_checkpoint_file(filename, map_location)

    def load_from_http(filename: str, map_location: Any = None,
                       **kwargs) -> Any:
        return load_checkpoint_file(download_checkpoint(filename),
                                    map_location)

    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), force=True)(load_from_http)
