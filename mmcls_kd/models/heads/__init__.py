from .weak_classifier import WeakClassifier

__all__ = ['WeakClassifier']
