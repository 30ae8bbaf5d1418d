from .weak_classifier import WeakClassifier
from .connectors import CRDEmbedding, OFDConnector
from .review_kd import ABFConnector

__all__ = [
    'WeakClassifier', 'ABFConnector', 'CRDEmbedding', 'OFDConnector'
]
