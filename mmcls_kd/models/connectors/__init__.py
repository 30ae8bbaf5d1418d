from .connectors import CRDEmbedding, OFDConnector
from .factor_transfer import FTParaphraser, FTTranslator
from .ctkd import GlobalTemperature, InstanceTemperature
from .review_kd import ABFConnector
from .weak_classifier import WeakClassifier

__all__ = [
    'ABFConnector', 'CRDEmbedding', 'FTParaphraser', 'FTTranslator',
    'GlobalTemperature', 'InstanceTemperature', 'OFDConnector',
    'WeakClassifier'
]
