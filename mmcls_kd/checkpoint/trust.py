"""Which checkpoint files are trusted, and the weights-only reader for the
others (torch >= 2.6's ``torch.load`` is weights-only by default).

:func:`is_trusted` is the one place that decides.

* A run's own checkpoints are trusted: MMEngine writes them into the work dir
  with its bookkeeping (``HistoryBuffer``, numpy arrays, RNG state) that only a
  full unpickle restores, and resuming needs all of it. ``KDRunner.resume``
  declares the run's work dir (:func:`trusted_directory`); ``--resume PATH``
  on the command line is the user naming their own checkpoint
  (:func:`trusted_checkpoint`).
* Every other file (teachers, pretrained weights, ``load_from``, converter
  inputs) is loaded without running any code from the file: tensors and plain
  containers are rebuilt, MMEngine's and numpy's bookkeeping classes are
  replaced by inert stand-ins that are never constructed, and any other
  global (e.g. ``os.system``) stops the load with
  :class:`UnsafeCheckpointError`.
  Setting ``MMCLS_KD_TRUST_CHECKPOINTS=1`` is the explicit opt-in to a full
  unpickle of such a file.
"""
import contextlib
import os
import os.path as osp
import pickle
import threading
from typing import Any, ContextManager, Iterator, Set

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
    if (module, name) in _REAL_GLOBALS or (module == 'torch'
                                           and name.endswith('Storage')):
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


def _declared(kind: str) -> Set[str]:
    """This thread's trusted files (``kind='files'``) or directories."""
    if not hasattr(_local, kind):
        setattr(_local, kind, set())
    return getattr(_local, kind)


def _real(path: str) -> str:
    return osp.realpath(osp.expanduser(path))


@contextlib.contextmanager
def _declare(kind: str, path: str) -> Iterator[None]:
    key = _real(path)
    added = key not in _declared(kind)
    _declared(kind).add(key)
    try:
        yield
    finally:
        if added:
            _declared(kind).discard(key)


def trusted_checkpoint(path: str) -> ContextManager[None]:
    """Let ``path`` be fully unpickled while the context is open."""
    return _declare('files', path)


def trusted_directory(path: str) -> ContextManager[None]:
    """Let the files under ``path`` (a run's work dir) be fully unpickled
    while the context is open."""
    return _declare('dirs', path)


def is_trusted(path: str) -> bool:
    """The trust rule: whether ``path`` may be fully unpickled.

    True with the opt-in ``MMCLS_KD_TRUST_CHECKPOINTS=1``, for a file
    declared by :func:`trusted_checkpoint`, and for the files under a
    directory declared by :func:`trusted_directory`; every other file is
    read weights-only.
    """
    if os.environ.get(TRUST_ENV) == '1':
        return True
    real = _real(path)
    return real in _declared('files') or any(
        real.startswith(folder + os.sep) for folder in _declared('dirs'))


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
            path,
            map_location=map_location,
            pickle_module=_Module,
            weights_only=False)
    except UnsafeCheckpointError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise RuntimeError(
            f'checkpoint {path} could not be read ({err}); it may be '
            'truncated or not a PyTorch checkpoint') from err


__all__ = [
    'TRUST_ENV', 'UnsafeCheckpointError', 'is_trusted', 'load_checkpoint_file',
    'trusted_checkpoint', 'trusted_directory'
]
