"""Open every image of a data set before a long run does: a corrupted or
unreadable file then stops the run before the first epoch, not in the
middle of one."""
from typing import Callable, List, Optional, Tuple

import mmcv
from mmengine.fileio import get

__all__ = ['unreadable_images']


def unreadable_images(
    dataset,
    progress: Optional[Callable[[int, int], None]] = None
) -> Tuple[int, List[Tuple[str, str]]]:
    """Decode the image of every sample of ``dataset`` as the pipeline's
    ``LoadImageFromFile`` does.

    Returns:
        tuple: How many samples have an image file (in-memory data sets such
        as CIFAR have none), and ``(path, reason)`` of each that could not be
        read or decoded.
    """
    checked, failures = 0, []
    total = len(dataset)
    for index in range(total):
        path = dataset.get_data_info(index).get('img_path')
        if path is None:
            continue
        checked += 1
        try:
            image = mmcv.imfrombytes(get(path), flag='color')
            if image is None:
                raise ValueError('not an image the decoder can read')
        except Exception as error:  # any failure is what the user must see
            failures.append((path, f'{type(error).__name__}: {error}'))
        if progress is not None:
            progress(index + 1, total)
    return checked, failures
