"""Random number generator state in checkpoints, for an exact resume."""
import contextlib
import random
from typing import Iterator, List, Optional

import numpy as np
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook

from mmcls_kd.registry import HOOKS

CHECKPOINT_KEY = 'rng_states'

# States put aside by ``rng_preserved``, outermost first. RNG state is
# process-wide, and so is this stack.
_preserved: List[dict] = []


def capture_rng_state() -> dict:
    """This process's python, numpy, torch CPU and (current) CUDA generator
    states, as plain Python values and tensors: a weights-only loader can
    read them."""
    np_state = np.random.get_state(legacy=False)
    state = dict(
        python=random.getstate(),
        numpy=dict(
            bit_generator=np_state['bit_generator'],
            key=np_state['state']['key'].tolist(),
            pos=int(np_state['state']['pos']),
            has_gauss=int(np_state['has_gauss']),
            gauss=float(np_state['gauss'])),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def restore_rng_state(state: dict) -> None:
    """Set the generators to a state from :func:`capture_rng_state`."""
    python = state['python']
    # Pickle round trips may turn the inner tuple into a list.
    random.setstate((python[0], tuple(python[1]), python[2]))
    numpy = state['numpy']
    np.random.set_state(
        dict(
            bit_generator=numpy['bit_generator'],
            state=dict(
                key=np.asarray(numpy['key'], dtype=np.uint32),
                pos=numpy['pos']),
            has_gauss=numpy['has_gauss'],
            gauss=numpy['gauss']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'])


@contextlib.contextmanager
def rng_preserved() -> Iterator[None]:
    """Run a block (validation, building a data iterator) without it
    changing the random stream of training."""
    state = capture_rng_state()
    _preserved.append(state)
    try:
        yield
    finally:
        _preserved.pop()
        restore_rng_state(state)


def training_rng_state() -> dict:
    """The state training continues from: inside ``rng_preserved`` blocks
    (a best checkpoint saved during validation) the state put aside."""
    return _preserved[0] if _preserved else capture_rng_state()


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save every rank's generator states in checkpoints and restore them
    when the run resumes, so that a resumed run draws the same augmentations
    and mixing coefficients as an uninterrupted one (MMEngine re-seeds from
    the starting seed instead).

    ``KDRunner`` adds it to every run and gathers the states of all ranks
    when it saves (``save_checkpoint`` runs on every rank there). Under other
    runners only the saving process's state is stored. The states are
    restored when training starts, after MMEngine's resume, which re-seeds
    when the configured seed differs from the checkpoint's (e.g.
    ``seed=None``). Loading a checkpoint with ``load_from`` (no resume)
    leaves the generators alone.

    Data loader workers keep their own generators, which no checkpoint
    holds: a resume is exact for ``num_workers=0`` and exact up to the random
    augmentations done in workers otherwise.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._to_restore: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = getattr(runner, 'rank_rng_states', None)
        checkpoint[CHECKPOINT_KEY] = states or [training_rng_state()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # MMEngine's private flag: set for ``resume``, not for ``load_from``.
        if not getattr(runner, '_resume', False):
            return
        states = checkpoint.get(CHECKPOINT_KEY)
        if not states:
            runner.logger.warning(
                'The checkpoint holds no random generator state: the resumed '
                'run re-seeds and is not an exact continuation.')
            return
        if len(states) != get_world_size():
            runner.logger.warning(
                f'The checkpoint holds the random generator states of '
                f'{len(states)} rank(s), this run has {get_world_size()}: '
                'they are not restored.')
            return
        self._to_restore = states[get_rank()]

    def before_train(self, runner) -> None:
        if self._to_restore is not None:
            restore_rng_state(self._to_restore)
            self._to_restore = None
            runner.logger.info('Random generator states restored from the '
                               'checkpoint.')
