"""MMEngine's checkpoint loading on torch >= 2.6.

MMEngine's loaders call ``torch.load`` with torch's default, weights-only,
which refuses MMEngine's own training checkpoints (its ``HistoryBuffer``s),
so ``--resume`` fails; loading everything in full instead would run code
from any teacher found on the internet. Local files and http(s) URLs are
routed through :func:`mmcls_kd.checkpoint.read_checkpoint`, which applies the
package's one trust rule (:func:`mmcls_kd.checkpoint.is_trusted`).
"""
from typing import Any


def patch_mmengine_local_loader() -> None:
    """Route MMEngine's local and http(s) checkpoint loading (``load_from``,
    ``init_cfg=dict(type='Pretrained')``, resume) through the trust rule."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmcls_kd.checkpoint.io import read_checkpoint

    def load_from_local(filename: str, map_location: Any) -> Any:
        return read_checkpoint(filename, map_location)

    def load_from_http(filename: str,
                       map_location: Any = None,
                       **kwargs) -> Any:
        return read_checkpoint(filename, map_location)

    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), force=True)(
            load_from_http)
