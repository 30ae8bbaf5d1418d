from .connectors import CRDEmbedding, OFDConnector
from .review_kd import ABFConnector
from .weak_classifier import WeakClassifier

__all__ = ['ABFConnector', 'CRDEmbedding', 'OFDConnector', 'WeakClassifier']
