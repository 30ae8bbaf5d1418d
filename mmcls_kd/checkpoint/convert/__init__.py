"""Converters of other model zoos' checkpoints into checkpoints of this
package's classifiers: CRD's and DKD's CIFAR-100 teachers (``cifar_zoo``)
and torchvision's ResNets (``torchvision_resnet``). Each gives the config of
the ``ImageClassifier`` it fits (``classifier_config``) and ``convert``."""
from . import cifar_zoo, torchvision_resnet

__all__ = ['cifar_zoo', 'torchvision_resnet']
