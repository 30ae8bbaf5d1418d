from .cifar_mobilenet_v2 import CIFARMobileNetV2
from .cifar_resnet import CIFARResNet, ResNet8x4, ResNet32x4
from .cifar_shufflenet import CIFARShuffleNetV1, CIFARShuffleNetV2
from .cifar_vgg import CIFARVGG
from .cifar_wrn import CIFARWideResNet
from .mobilenet_v1 import MobileNetV1

__all__ = [
    'CIFARMobileNetV2', 'CIFARResNet', 'ResNet8x4', 'ResNet32x4',
    'CIFARShuffleNetV1', 'CIFARShuffleNetV2', 'CIFARVGG', 'CIFARWideResNet',
    'MobileNetV1'
]
