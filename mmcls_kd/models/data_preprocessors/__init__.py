"""Data preprocessors of the package; importing registers them."""
from .multi_view import MultiViewDataPreprocessor, loss_views

__all__ = ['MultiViewDataPreprocessor', 'loss_views']
