"""What KDRunner adds for reliability, seen on a tiny run."""
from collections import Counter

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.checkpoint import load_checkpoint_file
from mmcls_kd.engine.loops import ResumableEpochBasedTrainLoop
from tests.conftest import STUDENT_CONFIG


def test_hooks_loop_and_checkpoint_contents(tmp_path):
    cfg = load_config(STUDENT_CONFIG, {
        'work_dir': str(tmp_path),
        'experiment_name': tmp_path.name,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': 1,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        # Listed by the user too: still registered once.
        'custom_hooks': [dict(type='RNGStateHook')],
    })
    runner = build_runner(cfg)
    runner.train()
    counts = Counter(type(hook).__name__ for hook in runner.hooks)
    for name in ('FiniteLossHook', 'RNGStateHook', 'RankMeanLossHook'):
        assert counts[name] == 1, name
    assert type(runner.train_loop) is ResumableEpochBasedTrainLoop
    # Loaded as a foreign file (weights-only): the generator states are
    # plain values and tensors, so teachers from this package's runs load.
    checkpoint = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))
    assert len(checkpoint['rng_states']) == 1
    assert set(checkpoint['rng_states'][0]) >= {'python', 'numpy', 'torch'}
