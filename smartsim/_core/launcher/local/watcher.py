"""ExitWatcher: learns of child exits as they happen, with one thread for all children.

On Linux each child gets a pidfd, which becomes readable when the child exits; one selector
thread waits on all of them, so 256 children cost one thread and no polling. Elsewhere a
small waiting thread per child does the same job.
"""

from __future__ import annotations

import os
import selectors
import threading
import typing as t

OnExit = t.Callable[[str, "int | None"], None]
"""Called as ``on_exit(job_id, returncode)`` from the watcher thread (None: not known)."""

WaitFn = t.Callable[[], "int | None"]
"""Blocks until the process has exited, reaps it if it is ours, returns its code if known."""

_HAS_PIDFD = hasattr(os, "pidfd_open")


class ExitWatcher:
    """Calls ``on_exit`` once for each watched child, as soon as it exits."""

    def __init__(self, on_exit: OnExit) -> None:
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._selector: selectors.BaseSelector | None = None
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._selector_sees_new_fds = False

    def watch(self, job_id: str, pid: int, wait: WaitFn) -> None:
        """Start watching ``pid``; ``on_exit`` fires even if it has already exited.

        :param wait: e.g. ``Popen.wait`` for a child; called once the process has exited
        """
        if _HAS_PIDFD:
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                pass
            else:
                self._ensure_selector_thread()
                assert self._selector is not None
                with self._lock:
                    self._selector.register(fd, selectors.EVENT_READ, (job_id, wait))
                if not self._selector_sees_new_fds:
                    self._wake()
                return
        threading.Thread(
            target=self._wait_one, args=(job_id, wait), name=f"smartsim-wait-{job_id}", daemon=True
        ).start()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass  # the pipe is full, so the watcher is already awake

    def _wait_one(self, job_id: str, wait: WaitFn) -> None:
        self._on_exit(job_id, wait())

    def _ensure_selector_thread(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._selector = selectors.DefaultSelector()
            # epoll takes fds registered while another thread waits in it; select/poll
            # only see them on their next call, so those need a wake-up.
            self._selector_sees_new_fds = isinstance(self._selector, selectors.EpollSelector)
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_w, False)
            self._selector.register(self._wake_r, selectors.EVENT_READ, None)
            self._thread = threading.Thread(
                target=self._run, name="smartsim-exit-watcher", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        assert self._selector is not None
        while True:
            for key, _ in self._selector.select():
                if key.data is None:
                    os.read(self._wake_r, 4096)
                    continue
                job_id, wait = key.data
                with self._lock:
                    self._selector.unregister(key.fd)
                os.close(key.fd)
                self._on_exit(job_id, wait())
