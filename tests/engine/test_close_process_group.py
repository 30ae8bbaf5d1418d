"""A distributed rank ends its gloo threads before the interpreter's
teardown: threads still running then can abort the finished rank (SIGABRT,
"terminate called without an active exception") and fail the launch."""
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, STUDENT_CONFIG, free_port

# One rank, launched as torchrun launches it; prints how many threads the
# process runs before the run and after ``main`` returns.
_RANK = textwrap.dedent('''
    import os, sys
    sys.path.insert(0, {repo!r})
    def threads():
        return len(os.listdir('/proc/self/task'))
    import torch, mmcls_kd  # noqa: F401  (their threads in the baseline)
    from tools.train import main
    before = threads()
    main(sys.argv[1:])
    print('threads', before, threads())
''')

_KEPT = textwrap.dedent('''
    import os, sys
    sys.path.insert(0, {repo!r})
    def threads():
        return len(os.listdir('/proc/self/task'))
    import torch
    from mmcls_kd.engine.dist import close_process_group, init_cpu_dist
    before = threads()
    init_cpu_dist('pytorch')
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 2))
    model(torch.ones(3, 4)).sum().backward()
    if sys.argv[1] == 'drop':
        del model
    close_process_group()
    print('threads', before, threads())
''')


def _rank_env() -> dict:
    env = dict(os.environ, RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    env.pop('TORCHELASTIC_RUN_ID', None)
    return env


def _threads(script: str, args, tmp_path):
    path = tmp_path / 'rank.py'
    path.write_text(script.format(repo=REPO))
    proc = subprocess.run([sys.executable, str(path)] + list(args),
                          cwd=REPO, env=_rank_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [row for row in proc.stdout.splitlines()
            if row.startswith('threads ')][-1]
    before, after = map(int, line.split()[1:])
    return before, after


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='counts threads in /proc')
def test_group_held_by_ddp_keeps_its_threads(tmp_path):
    """Why the caller drops its model first: destroying the group while the
    DDP wrapper lives leaves gloo's threads running; without it they end."""
    before, after = _threads(_KEPT, ['keep'], tmp_path)
    assert after > before
    before, after = _threads(_KEPT, ['drop'], tmp_path)
    assert after == before


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='counts threads in /proc')
def test_train_rank_ends_with_its_threads(tmp_path):
    """A rank of a distributed ``tools/train.py`` run (a real runner with
    its DDP-wrapped model) returns from ``main`` with no thread left of the
    process group, the watchdog or the data loader."""
    before, after = _threads(_RANK, [
        STUDENT_CONFIG, '--launcher', 'pytorch', '--no-validate',
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
        'train_dataloader.num_workers=0'
    ], tmp_path)
    assert after == before
