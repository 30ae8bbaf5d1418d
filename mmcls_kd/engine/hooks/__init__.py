from .ddp_check import DDPWeightsCheckHook, weights_fingerprint

__all__ = ['DDPWeightsCheckHook', 'weights_fingerprint']
