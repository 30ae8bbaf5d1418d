"""One training run per work dir.

Two runs started into the same work dir would both save ``epoch_N.pth``
there, the second overwriting the first's. A run holds a lock file in its
work dir for its lifetime, naming host, PID and start time; it is removed
when the run ends or the process exits. A lock left by a dead process on
this host (a killed run) is taken over; one held from another host (a
shared file system under SLURM) cannot be checked from here, so the run
refuses and says how to clear it.
"""
import atexit
import datetime
import json
import os
import os.path as osp
import socket
from typing import Optional

__all__ = ['WorkDirLock', 'WorkDirLocked', 'lock_work_dir']

LOCK_NAME = 'run.lock'


class WorkDirLocked(RuntimeError):
    """The work dir is in use by another run."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


class WorkDirLock:
    """The lock file ``run.lock`` of ``work_dir``.

    Args:
        work_dir (str): The run's work dir.
    """

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(work_dir, LOCK_NAME)
        self.owner = dict(
            host=socket.gethostname(),
            pid=os.getpid(),
            started=datetime.datetime.now().isoformat(timespec='seconds'))
        self.held = False

    def holder(self) -> Optional[dict]:
        """The owner recorded in the lock file, None if there is none."""
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return dict(host='?', pid=-1, started='?')

    def acquire(self) -> None:
        """Take the lock, taking over a dead process's on this host; raise
        :class:`WorkDirLocked` naming the holder otherwise."""
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                self._clear_stale()
                continue
            with os.fdopen(fd, 'w') as f:
                json.dump(self.owner, f)
            self.held = True
            atexit.register(self.release)
            return
        raise WorkDirLocked(self._refusal(self.holder() or {}))

    def _clear_stale(self) -> None:
        holder = self.holder()
        if holder is None:
            return
        same_host = holder.get('host') == self.owner['host']
        pid = holder.get('pid')
        # This process's own lock (a runner built again in the same process,
        # as tests and notebooks do) is taken over like a dead one's.
        if same_host and isinstance(pid, int) and pid > 0 and (
                pid == os.getpid() or not _alive(pid)):
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            return
        raise WorkDirLocked(self._refusal(holder))

    def _refusal(self, holder: dict) -> str:
        work_dir = osp.dirname(self.path)
        here = holder.get('host') == self.owner['host']
        message = (f'work dir {work_dir} is in use by the run of PID '
                   f'{holder.get("pid")} on host {holder.get("host")} '
                   f'(started {holder.get("started")}): a second run would '
                   'overwrite its checkpoints. Give this run another '
                   '--work-dir')
        if not here:
            message += (
                f'; if that run is no longer running (the lock of a run on '
                f'another host cannot be checked from here), remove '
                f'{self.path} and start again')
        return message + '.'

    def release(self) -> None:
        """Remove the lock file if this process holds it."""
        if not self.held:
            return
        self.held = False
        holder = self.holder()
        if holder is not None and holder.get('pid') == self.owner['pid'] \
                and holder.get('host') == self.owner['host']:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass


def lock_work_dir(work_dir: str) -> Optional[WorkDirLock]:
    """Lock ``work_dir`` for a training run: the main process takes the
    lock, and every rank learns whether it could, so that all stop together
    instead of the other ranks waiting at the first collective."""
    from mmengine.dist import broadcast_object_list, get_world_size
    from mmengine.dist import is_main_process
    lock, refusal = None, [None]
    if is_main_process():
        lock = WorkDirLock(work_dir)
        try:
            lock.acquire()
        except WorkDirLocked as error:
            refusal = [str(error)]
    if get_world_size() > 1:
        broadcast_object_list(refusal)
    if refusal[0] is not None:
        raise WorkDirLocked(refusal[0])
    return lock
