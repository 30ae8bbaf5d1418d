from .collective_watchdog import CollectiveWatchdogHook
from .ctkd_curriculum import CTKDCurriculumHook, curriculum_modules
from .ddp_check import DDPWeightsCheckHook, weights_fingerprint
from .finite_loss import FiniteLossHook
from .init_phase import InitPhaseHook
from .plain_checkpoint import PlainCheckpointHook
from .loss_warmup import DistillLossWarmupHook, warmup_losses
from .rank_mean_loss import RankMeanLossHook
from .rng_state import (RNGStateHook, capture_rng_state, restore_rng_state,
                        rng_preserved, training_rng_state)

__all__ = [
    'CTKDCurriculumHook', 'CollectiveWatchdogHook', 'DDPWeightsCheckHook',
    'DistillLossWarmupHook', 'FiniteLossHook', 'InitPhaseHook',
    'PlainCheckpointHook',
    'RankMeanLossHook', 'RNGStateHook', 'capture_rng_state',
    'curriculum_modules', 'restore_rng_state', 'rng_preserved',
    'training_rng_state', 'warmup_losses', 'weights_fingerprint'
]
