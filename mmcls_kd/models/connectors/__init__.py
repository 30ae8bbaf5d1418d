from .connectors import CRDEmbedding, OFDConnector
from .ctkd import GlobalTemperature, InstanceTemperature
from .regressors import FitNetRegressor, LinearEmbedding, VIDRegressor
from .review_kd import ABFConnector
from .weak_classifier import WeakClassifier

__all__ = [
    'ABFConnector', 'CRDEmbedding', 'FitNetRegressor', 'GlobalTemperature',
    'InstanceTemperature', 'LinearEmbedding', 'OFDConnector', 'VIDRegressor',
    'WeakClassifier'
]
