"""RNGStateHook and the generator-state helpers."""
import logging
import random
from types import SimpleNamespace

import numpy as np
import torch

from mmcls_kd.engine.hooks import (RNGStateHook, capture_rng_state,
                                   restore_rng_state, rng_preserved,
                                   training_rng_state)


def _draws():
    return (random.random(), float(np.random.rand()), np.random.randn(),
            torch.rand(()).item())


def _runner(resume=True):
    logger = logging.getLogger('test_rng_state')
    return SimpleNamespace(_resume=resume, logger=logger)


def test_restore_repeats_the_draws():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    np.random.randn()  # leaves a cached gaussian in numpy's state
    state = capture_rng_state()
    first = _draws()
    restore_rng_state(state)
    assert _draws() == first


def test_state_survives_a_weights_only_round_trip(tmp_path):
    from mmcls_kd.checkpoint import load_checkpoint_file
    state = capture_rng_state()
    first = _draws()
    torch.save({'rng_states': [state]}, tmp_path / 'ckpt.pth')
    loaded = load_checkpoint_file(str(tmp_path / 'ckpt.pth'))
    restore_rng_state(loaded['rng_states'][0])
    assert _draws() == first


def test_preserved_block_leaves_the_stream_alone():
    state = capture_rng_state()
    expected = _draws()
    restore_rng_state(state)
    with rng_preserved():
        _draws()
        # A checkpoint saved in the block stores the outer stream's state.
        inner = training_rng_state()
    assert _draws() == expected
    restore_rng_state(inner)
    assert _draws() == expected


def test_hook_saves_and_restores_at_the_start_of_training():
    hook = RNGStateHook()
    checkpoint = {}
    hook.before_save_checkpoint(_runner(), checkpoint)
    expected = _draws()
    runner = _runner(resume=True)
    hook.after_load_checkpoint(runner, checkpoint)
    _draws()  # MMEngine's resume may re-seed after loading
    hook.before_train(runner)
    assert _draws() == expected


def test_hook_leaves_generators_alone_for_load_from():
    hook = RNGStateHook()
    checkpoint = {}
    hook.before_save_checkpoint(_runner(), checkpoint)
    expected = _draws()
    runner = _runner(resume=False)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    assert _draws() != expected


def test_hook_warns_on_a_checkpoint_without_state(caplog):
    hook = RNGStateHook()
    runner = _runner()
    with caplog.at_level(logging.WARNING, logger='test_rng_state'):
        hook.after_load_checkpoint(runner, {'state_dict': {}})
        hook.after_load_checkpoint(runner, {'rng_states': [{}, {}]})
    assert 'holds no random generator state' in caplog.text
    assert 'of 2 rank(s), this run has 1' in caplog.text
