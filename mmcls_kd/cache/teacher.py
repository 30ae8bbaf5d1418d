"""A teacher that reads its logits from a cache instead of running."""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel
from torch import nn

from mmcls_kd.registry import MODELS
from .store import CacheReader

#: The one teacher record a cache can serve: the classifier's logits.
LOGITS_SOURCE = 'head.fc'


def refuse_multi_view(distill_losses: Optional[Dict[str, dict]],
                      what: str) -> None:
    """A cache holds one row of teacher logits per (epoch, sample): refuse
    the losses that read the teacher on several views of each image
    (MLKD's weak and strong), naming the first and ``what`` was asked."""
    from mmcls_kd.models.data_preprocessors import loss_views
    views = loss_views(distill_losses)
    if views:
        name, (kind, count) = next(iter(views.items()))
        raise ValueError(
            f'{what}: {name} ({kind}) reads the teacher on {count} augmented '
            'views of each image, and a teacher cache holds the logits of '
            'one view per sample (keyed by epoch and sample index); run it '
            'with the teacher online')


class _Head(nn.Module):
    """Stands where a classifier's head is, so that a recorder on
    ``head.fc`` records the cached logits and mappings stay as they are."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.fc = nn.Identity()


@MODELS.register_module()
class CachedTeacher(BaseModel):
    """The teacher's logits of a training batch, read from a cache built by
    ``tools/cache_teacher.py``, keyed by each data sample's ``epoch`` and
    ``sample_idx`` (``train_dataloader.seeded_augment=True`` puts them
    there). Nothing is computed: the teacher network is never built.

    Args:
        cache_dir (str): the cache.
    """

    def __init__(self, cache_dir: str) -> None:
        super().__init__()
        self.cache_dir = cache_dir
        self.reader = CacheReader(cache_dir)
        self.head = _Head(self.reader.manifest['num_classes'])

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        keys = [(getattr(s, 'epoch', None), getattr(s, 'sample_idx', None))
                for s in (data_samples or [])]
        if not keys or any(None in key for key in keys):
            raise RuntimeError(
                f'CachedTeacher ({self.cache_dir}) reads the teacher logits '
                'by epoch and sample index, which these data samples do not '
                'carry: the training loader needs seeded_augment=True (and '
                'the cache answers training batches only)')
        epochs, indices = zip(*keys)
        if self.reader.manifest.get('mixing'):
            # Mixed images: keyed by the batch the run is at.
            from mmengine.dist import get_rank
            from mmengine.logging import MessageHub
            iteration = MessageHub.get_current_instance().get_info('iter')
            logits = self.reader.mixed_logits(
                epochs[0], iteration, get_rank(), len(keys),
                device=inputs.device)
        else:
            logits = self.reader.logits(epochs, indices, device=inputs.device)
        return self.head.fc(logits)
