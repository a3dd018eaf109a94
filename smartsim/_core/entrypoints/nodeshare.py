"""NodeShare: the ranks of one job on one node share one colocated database.

Under a scheduler the colocated entrypoint runs once per task, so several ranks can start on
one node. A counter in a file under a lock, keyed by the job and the database's port or
socket, makes the first rank start the database and the others use it; the rank that started
it stops it once every rank on the node has finished. A counter left by a crashed run (its
owner no longer alive) is reset.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time


def share_key(address: str) -> str:
    """What identifies one job's colocated database on a node: job, step and address."""
    job = (
        os.environ.get("SLURM_JOB_ID")
        or os.environ.get("PBS_JOBID")
        or os.environ.get("LSB_JOBID", "")
    )
    step = os.environ.get("SLURM_STEP_ID", "")
    return f"{job}.{step}:{address}"


class NodeShare:
    """A lock-protected ``count owner_pid`` record in the temporary directory."""

    def __init__(self, key: str) -> None:
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        self.path = os.path.join(tempfile.gettempdir(), f"smartsim-colocated-{digest}")

    def _update(self, change: int, owner: int | None = None) -> tuple[int, int]:
        """Add ``change`` to the count (setting the owner if given); (count before, owner)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64).decode().split()
            count, current = (int(raw[0]), int(raw[1])) if len(raw) == 2 else (0, 0)
            if count and not _alive(current):
                count, current = 0, 0  # left by a run that crashed
            if owner is not None and count == 0:
                current = owner
            new = max(count + change, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{new} {current}".encode())
            return count, current
        finally:
            os.close(fd)

    def join(self) -> bool:
        """Count this rank in; True when it is the first and so must start the database."""
        before, _ = self._update(+1, owner=os.getpid())
        return before == 0

    def leave(self) -> None:
        """Count this rank out."""
        self._update(-1)

    def wait_until_alone(self, poll: float = 0.05) -> None:
        """Block until every rank on the node has left (the owner calls this last)."""
        while self._update(0)[0] > 0:
            time.sleep(poll)
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
