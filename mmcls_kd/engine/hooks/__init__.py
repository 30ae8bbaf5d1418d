from .ddp_check import DDPWeightsCheckHook, weights_fingerprint
from .finite_loss import FiniteLossHook

__all__ = ['DDPWeightsCheckHook', 'FiniteLossHook', 'weights_fingerprint']
