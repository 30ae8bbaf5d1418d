from .connectors import CRDEmbedding, OFDConnector
from .ctkd import GlobalTemperature, InstanceTemperature
from .review_kd import ABFConnector
from .weak_classifier import WeakClassifier

__all__ = [
    'ABFConnector', 'CRDEmbedding', 'GlobalTemperature', 'InstanceTemperature',
    'OFDConnector', 'WeakClassifier'
]
