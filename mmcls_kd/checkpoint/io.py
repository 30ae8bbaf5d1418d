"""Reading checkpoints (local files and URLs, under the trust rule of
:mod:`mmcls_kd.checkpoint.trust`), finding the state dict inside them, and
writing checkpoints that a weights-only ``torch.load`` reads."""
import hashlib
import os
import os.path as osp
from collections import OrderedDict
from io import BytesIO
from typing import Any, BinaryIO, Dict, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor

from .trust import load_checkpoint_file

# Where checkpoints keep their state dict: MMEngine's, then CRD's and DKD's.
_STATE_ENTRIES = ('state_dict', 'model', 'net')
# DataParallel and DistributedDataParallel save every key under this.
_WRAPPER_PREFIX = 'module.'
_URL_PREFIXES = ('http://', 'https://')
_SHOWN_KEYS = 8
# What a weights-only ``torch.load`` rebuilds besides containers.
_PLAIN_LEAVES = (type(None), str, int, float, bool, Tensor, torch.Size,
                 torch.device, torch.dtype)


def download_checkpoint(url: str) -> str:
    """Download ``url`` once into torch's hub cache and return the path.

    When the file name carries a hash (``name-<sha256 prefix>.pth``, as
    OpenMMLab's do) the download is checked against it. In a distributed run
    local rank 0 downloads while the others wait.
    """
    from urllib.parse import urlparse

    from mmengine.dist import barrier, get_dist_info
    from torch.hub import HASH_REGEX, download_url_to_file, get_dir

    filename = osp.basename(urlparse(url).path)
    cached = osp.join(get_dir(), 'checkpoints', filename)
    rank, world_size = get_dist_info()
    local_rank = int(os.environ.get('LOCAL_RANK', rank))
    if local_rank == 0 and not osp.isfile(cached):
        os.makedirs(osp.dirname(cached), exist_ok=True)
        match = HASH_REGEX.search(filename)
        try:
            download_url_to_file(
                url,
                cached,
                hash_prefix=match.group(1) if match else None,
                progress=False)
        except Exception as err:
            raise RuntimeError(
                f'could not download checkpoint {url}: {err}') from err
    if world_size > 1:
        barrier()
    return cached


def read_checkpoint(source: str, map_location: Any = 'cpu') -> Any:
    """The object stored at ``source``, a local path or an http(s) URL
    (downloaded once, see :func:`download_checkpoint`), read under the trust
    rule (see :func:`~mmcls_kd.checkpoint.trust.is_trusted`)."""
    if source.startswith(_URL_PREFIXES):
        source = download_checkpoint(source)
    return load_checkpoint_file(source, map_location)


def _found(checkpoint: Any) -> str:
    if not isinstance(checkpoint, Mapping):
        return f'a {type(checkpoint).__name__}'
    keys = list(checkpoint)
    more = len(keys) - _SHOWN_KEYS
    return f'keys {keys[:_SHOWN_KEYS]}' + (f' and {more} more'
                                           if more > 0 else '')


def state_dict_of(checkpoint: Any,
                  source: str = 'the checkpoint') -> Dict[str, Tensor]:
    """The state dict inside a loaded checkpoint.

    That is its ``'state_dict'`` entry (MMEngine), its ``'model'`` or
    ``'net'`` entry (CRD, DKD), or the checkpoint itself when it is a dict
    of tensors. A ``module.`` prefix on every key (DataParallel) is dropped.

    Raises:
        ValueError: no non-empty dict of tensors was found; the message
            names ``source`` and what it holds.
    """
    state = checkpoint
    if isinstance(checkpoint, Mapping):
        state = next((checkpoint[key] for key in _STATE_ENTRIES
                      if isinstance(checkpoint.get(key), Mapping)), checkpoint)
    if not (isinstance(state, Mapping) and state
            and all(isinstance(value, Tensor) for value in state.values())):
        raise ValueError(
            f'{source} holds no state dict of tensors (a "state_dict", '
            '"model" or "net" entry, or tensors at the top level): found '
            f'{_found(checkpoint)}')
    if all(key.startswith(_WRAPPER_PREFIX) for key in state):
        return {key[len(_WRAPPER_PREFIX):]: v for key, v in state.items()}
    return dict(state)


def read_state_dict(source: str) -> Tuple[Dict[str, Tensor], dict]:
    """The state dict (:func:`state_dict_of`) and the ``meta`` entry ({}
    when there is none) of the checkpoint at ``source`` (a path or URL, see
    :func:`read_checkpoint`)."""
    checkpoint = read_checkpoint(source)
    state = state_dict_of(checkpoint, source)
    meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
    return state, meta if isinstance(meta, dict) else {}


def non_plain_place(value: Any, where: str) -> Optional[str]:
    """Where in ``value`` the first thing a weights-only load cannot read
    is, with its type; None when there is none."""
    if type(value) in (list, tuple):
        items = enumerate(value)
    elif type(value) in (dict, OrderedDict):
        bad_key = next((k for k in value if not isinstance(k, (str, int))),
                       None)
        if bad_key is not None:
            return f'{where} key {bad_key!r} ({type(bad_key).__name__})'
        items = value.items()
    elif isinstance(value, Tensor) or type(value) in _PLAIN_LEAVES:
        # Exact types: numpy's float64 is a float, but pickles as numpy's.
        return None
    else:
        return f'{where} ({type(value).__module__}.{type(value).__name__})'
    found = (non_plain_place(item, f'{where}[{key!r}]') for key, item in items)
    return next((place for place in found if place is not None), None)


def is_plain(value: Any) -> bool:
    """Whether ``value`` survives ``torch.load(..., weights_only=True)``:
    tensors, numbers, strings, None and lists, tuples and dicts of them."""
    return non_plain_place(value, 'value') is None


def save_checkpoint(checkpoint: Mapping, out: Union[str, 'os.PathLike[str]',
                                                    BinaryIO]) -> None:
    """Write ``checkpoint`` so that ``torch.load(..., weights_only=True)``
    reads it.

    The bytes do not depend on the file name (``torch.save`` names its
    archive after the file it writes), so the same checkpoint always hashes
    the same. A path is written through a temporary file renamed into place,
    so no reader ever sees half a file; folders are created as needed.

    Raises:
        TypeError: ``checkpoint`` holds something else than plain values
            (see :func:`is_plain`), named with its place and type; nothing
            is written.
    """
    found = non_plain_place(checkpoint, 'checkpoint')
    if found is not None:
        raise TypeError(f'{found} would not load weights-only; refusing to '
                        'write it')
    if hasattr(out, 'write'):
        torch.save(checkpoint, out)
        return
    out = os.fspath(out)
    buffer = BytesIO()
    torch.save(checkpoint, buffer)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    partial = f'{out}.partial'
    try:
        with open(partial, 'wb') as f:
            f.write(buffer.getvalue())
        os.replace(partial, out)
    except BaseException:
        if osp.exists(partial):
            os.remove(partial)
        raise


def file_sha256(path: str) -> str:
    """The sha256 of the file at ``path``, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    'download_checkpoint', 'file_sha256', 'is_plain', 'read_checkpoint',
    'read_state_dict', 'save_checkpoint', 'state_dict_of'
]
