"""One training run per work dir: a second run into a work dir in use stops,
naming the holder; the lock of a killed run is taken over."""
import json
import os
import subprocess
import sys

import pytest
import torch

from mmcls_kd.engine.workdir_lock import (LOCK_NAME, WorkDirLock,
                                          WorkDirLocked, lock_work_dir)


def _write_lock(work_dir, **holder):
    work_dir.mkdir(exist_ok=True)
    (work_dir / LOCK_NAME).write_text(json.dumps(holder))


@pytest.fixture
def live_process():
    proc = subprocess.Popen(
        [sys.executable, '-c', 'import time; '
         'time.sleep(60)'])
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_run_is_refused_while_the_first_runs(tmp_path, live_process):
    lock = WorkDirLock(str(tmp_path))
    _write_lock(tmp_path,
                host=lock.owner['host'],
                pid=live_process.pid,
                started='2026-12-07T01:00:00')
    with pytest.raises(WorkDirLocked,
                       match=rf'in use by the run of PID {live_process.pid} '
                       r'on host .*started 2026-12-07T01:00:00.*--work-dir'):
        lock.acquire()
    # The holder's lock is left as it was.
    assert json.loads((tmp_path / LOCK_NAME).read_text())['pid'] == \
        live_process.pid


def test_the_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    lock = WorkDirLock(str(tmp_path))
    _write_lock(tmp_path, host=lock.owner['host'], pid=dead.pid, started='x')
    lock.acquire()
    assert json.loads((tmp_path / LOCK_NAME).read_text()) == lock.owner
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_from_another_host_is_refused_with_how_to_clear_it(tmp_path):
    _write_lock(tmp_path, host='node-17', pid=4242, started='x')
    with pytest.raises(WorkDirLocked,
                       match=r'PID 4242 on host node-17.*cannot be checked '
                       rf'from here\), remove .*{LOCK_NAME}'):
        WorkDirLock(str(tmp_path)).acquire()


def test_release_leaves_a_lock_taken_over_by_another_run(
        tmp_path, live_process):
    lock = WorkDirLock(str(tmp_path))
    lock.acquire()
    _write_lock(tmp_path,
                host=lock.owner['host'],
                pid=live_process.pid,
                started='x')
    lock.release()
    assert (tmp_path / LOCK_NAME).exists()


def _rank(rank, init_file, work_dir, out_dir):
    torch.distributed.init_process_group('gloo',
                                         init_method=f'file://{init_file}',
                                         rank=rank,
                                         world_size=2)
    try:
        lock_work_dir(work_dir)
        outcome = 'locked'
    except WorkDirLocked as error:
        outcome = str(error)
    finally:
        torch.distributed.destroy_process_group()
    with open(os.path.join(out_dir, f'rank{rank}.txt'), 'w') as f:
        f.write(outcome)


@pytest.mark.slow
def test_every_rank_stops_when_the_main_process_cannot_lock(tmp_path):
    work_dir = tmp_path / 'work'
    _write_lock(work_dir, host='node-17', pid=4242, started='x')
    torch.multiprocessing.spawn(_rank,
                                args=(str(tmp_path / 'init'), str(work_dir),
                                      str(tmp_path)),
                                nprocs=2)
    outcomes = [(tmp_path / f'rank{r}.txt').read_text() for r in (0, 1)]
    assert all('PID 4242 on host node-17' in o for o in outcomes), outcomes
