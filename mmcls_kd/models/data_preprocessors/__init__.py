"""Data preprocessors of the package; importing registers them."""
from .multi_view import (MultiViewDataPreprocessor, batch_norm_per_view,
                         loss_views)

__all__ = ['MultiViewDataPreprocessor', 'batch_norm_per_view', 'loss_views']
