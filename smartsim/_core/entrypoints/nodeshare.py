"""NodeShare: the ranks of one job on one node share one colocated database.

Under a scheduler the colocated entrypoint runs once per task, so several ranks can start on
one node. A counter in a file under a lock, keyed by the launch (a token the driver puts in
the command of every rank of one launch, and of no other) and the database's port or socket,
makes the first rank start the database and the others use it; the rank that started it
records the server's pid there, so that the others can check that the server answering is
that one, and stops it once every rank on the node has finished. A counter left by a crashed
run (its owner no longer alive) is reset. An :class:`AddressLock`, held by the rank that runs
the database for as long as it runs, keeps two launches on one node from starting servers at
one address at the same time (a server takes over a Unix socket path someone else listens on).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time

FAILED = -1
"""The server pid recorded when the owner could not start the database."""


class NodeShare:
    """A lock-protected ``count owner_pid server_pid`` record in the temporary directory."""

    def __init__(self, key: str) -> None:
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        self.path = os.path.join(tempfile.gettempdir(), f"smartsim-colocated-{digest}")

    def _update(
        self, change: int, owner: int | None = None, server: int | None = None
    ) -> tuple[int, int, int]:
        """Add ``change`` to the count (setting the owner if given and the count was 0, and
        the server pid if given); (count before, owner, server pid). A count of 0 removes
        the file, under the lock: a record nobody counts in says nothing (the next to join
        starts afresh), and none is left behind once a launch's ranks have all left."""
        fd = _open_locked(self.path, fcntl.LOCK_EX)
        assert fd is not None  # a blocking lock is always granted
        try:
            raw = os.read(fd, 64).decode().split()
            count, current, pid = (int(x) for x in raw) if len(raw) == 3 else (0, 0, 0)
            if count and not _alive(current):
                count, current, pid = 0, 0, 0  # left by a run that crashed
            if owner is not None and count == 0:
                current, pid = owner, 0
            if server is not None:
                pid = server
            new = max(count + change, 0)
            if new == 0:
                _remove(self.path)
                return count, current, pid
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{new} {current} {pid}".encode())
            return count, current, pid
        finally:
            os.close(fd)

    def join(self) -> bool:
        """Count this rank in; True when it is the first and so must start the database."""
        before, _, _ = self._update(+1, owner=os.getpid())
        return before == 0

    def started(self, server: int) -> None:
        """Record the pid of the server the owner started (:data:`FAILED`: none)."""
        self._update(0, server=server)

    def server(self, timeout: float, poll: float = 0.01) -> int | None:
        """The pid of the server the owner started, once recorded; None if the owner failed,
        died or did not record one within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count, owner, pid = self._update(0)
            if pid == FAILED or not count or not _alive(owner):
                return None
            if pid > 0:
                return pid
            time.sleep(poll)
        return None

    def leave(self) -> None:
        """Count this rank out."""
        self._update(-1)

    def wait_until_alone(self, poll: float = 0.05) -> None:
        """Block until every rank on the node has left (the owner calls this last)."""
        while self._update(0)[0] > 0:
            time.sleep(poll)


class AddressLock:
    """An exclusive lock on a database address of this node, released when its holder exits."""

    def __init__(self, address: str) -> None:
        digest = hashlib.sha1(address.encode()).hexdigest()[:16]
        self.path = os.path.join(tempfile.gettempdir(), f"smartsim-address-{digest}.lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        fd = _open_locked(self.path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is None:
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up and remove its file (while holding it: a process waiting for
        it then opens the path again, see :func:`_open_locked`)."""
        if self._fd is not None:
            _remove(self.path)
            os.close(self._fd)
            self._fd = None


def _open_locked(path: str, how: int) -> int | None:
    """Open (creating) and lock ``path``; None when a non-blocking lock is held elsewhere.

    A file removed (by ``smart clean`` or a last rank) while this waited for its lock is
    opened again, so that every holder of a lock holds it on the file the path names.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _remove(path: str) -> None:
    """Remove a file, if it is still there."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def sweep(directory: str | None = None) -> list[str]:
    """Remove the counters and address locks in ``directory`` (default: the temporary
    directory) that nothing uses: a counter nobody counts in, or whose owner has died, and a
    lock nobody holds. Each is removed while locked, so no user is cut off. The removed paths.
    """
    base = directory or tempfile.gettempdir()
    removed = []
    for name in sorted(os.listdir(base)):
        if not name.startswith(("smartsim-colocated-", "smartsim-address-")):
            continue
        path = os.path.join(base, name)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        fd = _open_locked(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is None:
            continue  # a lock held by a running database
        try:
            raw = os.read(fd, 64).decode(errors="replace").split()
            fields = [int(x) for x in raw if x.lstrip("-").isdigit()]
            in_use = len(raw) == len(fields) == 3 and fields[0] > 0 and _alive(fields[1])
            if name.startswith("smartsim-address-") or not in_use:
                os.remove(path)
                removed.append(path)
        finally:
            os.close(fd)
    return removed


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
