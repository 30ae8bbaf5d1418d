from .connectors import CRDEmbedding, OFDConnector
from .ctkd import GlobalTemperature, InstanceTemperature
from .factor_transfer import FTParaphraser, FTTranslator
from .regressors import FitNetRegressor, LinearEmbedding, VIDRegressor
from .review_kd import ABFConnector
from .weak_classifier import WeakClassifier

__all__ = [
    'ABFConnector', 'CRDEmbedding', 'FTParaphraser', 'FTTranslator',
    'FitNetRegressor', 'GlobalTemperature', 'InstanceTemperature',
    'LinearEmbedding', 'OFDConnector', 'VIDRegressor', 'WeakClassifier'
]
