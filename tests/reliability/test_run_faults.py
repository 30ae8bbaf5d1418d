"""Faults of a cluster run: two runs in one work dir, a full disk while
saving, a launcher misused, a stopped rank, a killed torchrun agent."""
import errno
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from mmcls_kd.engine.workdir_lock import LOCK_NAME, WorkDirLocked
from tests.conftest import REPO, STUDENT_CONFIG, free_port, load_tool, \
    tool_env
from tests.reliability.helpers import train_in_process, write_config

TINY = {'train_dataloader.dataset.indices': 64}


def _wait_for(condition, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.2)


def _children(pid: int):
    """PIDs whose parent is ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _rank_of(pid: int) -> int:
    with open(f'/proc/{pid}/environ', 'rb') as f:
        env = dict(
            item.split(b'=', 1) for item in f.read().split(b'\0')
            if b'=' in item)
    return int(env[b'RANK'])


def _launch(config, work_dir, nproc: int, options=()):
    env = tool_env()
    env['PORT'] = str(free_port())
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    return subprocess.Popen([
        'bash', 'tools/dist_train.sh',
        str(config),
        str(nproc), '--work-dir',
        str(work_dir), '--no-validate', '--cfg-options'
    ] + list(options),
                            cwd=REPO,
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True,
                            start_new_session=True)


def _workers(launch) -> dict:
    """``{rank: pid}`` of the workers under ``dist_train.sh``'s agent."""
    agents = _children(launch.pid)
    workers = [pid for agent in agents for pid in _children(agent)]
    return {_rank_of(pid): pid for pid in workers}, agents


def _stop_all(launch, workers=()) -> str:
    """Kill the launch, every process under it (torchrun puts its workers
    in process groups of their own) and ``workers``, which may have been
    orphaned already (a stopped rank outlives its agent)."""
    pending, found = [launch.pid] + list(workers), []
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += _children(pid)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return launch.communicate(timeout=60)[0]


@pytest.mark.slow
def test_a_second_training_into_a_work_dir_in_use_stops(tmp_path):
    work = tmp_path / 'work'
    first = _launch(
        STUDENT_CONFIG, work, 1,
        ['train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1000'])
    try:
        _wait_for(lambda: (work / 'epoch_1.pth').exists(), 120,
                  'the first run to save')
        with pytest.raises(WorkDirLocked,
                           match=r'is in use by the run of '
                           r'PID \d+ on host'):
            train_in_process(STUDENT_CONFIG, work, TINY)
        # The second run wrote nothing: one log dir, the first run's.
        logs = [d for d in os.listdir(work) if osp.isdir(work / d)]
        assert len(logs) == 1
        assert (work / LOCK_NAME).exists()
    finally:
        _stop_all(first)


def test_a_save_that_fails_leaves_no_partial_file(tmp_path, monkeypatch):
    from mmengine.fileio.backends import LocalBackend

    def disk_full(self, obj, filepath):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(LocalBackend, 'put', disk_full)
    with pytest.raises(OSError, match='No space left'):
        train_in_process(STUDENT_CONFIG, tmp_path, {
            **TINY, 'train_cfg.max_epochs': 1
        })
    assert not [
        name for name in os.listdir(tmp_path)
        if name.endswith('.pth') or name.endswith('.partial')
    ]


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py'])
def test_launcher_pytorch_without_torchrun_says_how_to_start(
        tool, monkeypatch, capsys):
    monkeypatch.delenv('RANK', raising=False)
    args = [STUDENT_CONFIG, '--launcher', 'pytorch']
    if tool == 'tools/test.py':
        args.insert(1, STUDENT_CONFIG)  # any existing file
    with pytest.raises(SystemExit):
        load_tool(tool).main(args)
    err = capsys.readouterr().err
    assert 'this process has no RANK' in err
    assert 'bash tools/dist_train.sh CONFIG GPUS' in err


def test_dist_train_without_a_process_count_prints_its_usage():
    proc = subprocess.run(['bash', 'tools/dist_train.sh', STUDENT_CONFIG],
                          cwd=REPO,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        'usage: bash tools/dist_train.sh CONFIG GPUS')


@pytest.mark.slow
def test_a_stopped_rank_is_reported_and_ends_the_run_at_the_timeout(tmp_path):
    config = write_config(
        tmp_path / 'cfg.py', STUDENT_CONFIG,
        "custom_hooks = [dict(type='CollectiveWatchdogHook', "
        "_scope_='mmcls_kd', warn_after=2, interval=0.5)]\n"
        'env_cfg = dict(dist_cfg=dict(timeout=10))\n')
    work = tmp_path / 'work'
    launch = _launch(
        config, work, 2,
        ['train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1000'])
    workers = {}
    try:
        _wait_for(lambda: (work / 'epoch_1.pth').exists(), 120,
                  'the first checkpoint')
        workers, _ = _workers(launch)
        os.kill(workers[1], signal.SIGSTOP)
        stopped = time.monotonic()
        # Rank 0 fails at the process group's timeout, not PyTorch's 30
        # minutes; the agent then ends the run.
        _wait_for(lambda: not _running(workers[0]), 90, 'rank 0 to fail')
        assert time.monotonic() - stopped < 80
    finally:
        output = _stop_all(launch, workers.values())
    log = ''.join(
        open(osp.join(root, name)).read() for root, _, names in os.walk(work)
        for name in names if name.endswith('.log'))
    assert 'rank 0 has made no progress for' in log, output[-3000:]
    assert 'waiting at' in log and 'another rank may have stopped' in log


@pytest.mark.slow
def test_workers_end_when_the_torchrun_agent_is_killed(tmp_path):
    work = tmp_path / 'work'
    launch = _launch(
        STUDENT_CONFIG, work, 2,
        ['train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1000'])
    workers = {}
    try:
        _wait_for(lambda: (work / 'epoch_1.pth').exists(), 120,
                  'the first checkpoint')
        workers, agents = _workers(launch)
        assert len(workers) == 2 and len(agents) == 1
        os.kill(agents[0], signal.SIGKILL)
        _wait_for(lambda: not any(_running(pid) for pid in workers.values()),
                  30, 'the orphaned workers to exit')
    finally:
        _stop_all(launch, workers.values())
