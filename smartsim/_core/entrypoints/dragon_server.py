"""The Dragon server: runs inside a Dragon runtime, starts and stops jobs for one driver.

``dragon -s python -m smartsim._core.entrypoints.dragon_server <socket path>``. It serves one
connection (the driver's) with the protocol of ``_core.launcher.dragon.protocol``; each job
is a ``dragon.native.process.Process``, watched by a thread that reports its exit. When the
driver asks it to shut down (or goes away) it ends the jobs left and returns, which ends the
runtime.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from dragon.native.process import Process

from smartsim._core.launcher.dragon.protocol import Message, encode, read_messages


class Server:
    """Jobs of one driver, by Dragon process id (puid)."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()
        self._procs: dict[str, Process] = {}
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        """Send one message to the driver (from any thread)."""
        with self._send_lock:
            try:
                self._conn.sendall(encode(message))
            except OSError:
                pass  # the driver is gone; serve() ends and stops the jobs

    def run(self, request: Message) -> None:
        """Start one job: argv in the server's environment with the job's variables on top."""
        argv = list(request["argv"])
        env = {**os.environ, **request.get("env", {})}
        try:
            proc = Process(target=argv[0], args=argv[1:], env=env, cwd=os.getcwd())
            proc.start()
        except Exception as exc:  # report any failure to the driver, keep serving
            self.send({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
            return
        puid = str(proc.puid)
        with self._lock:
            self._procs[puid] = proc
        self.send({"event": "started", "puid": puid})
        threading.Thread(target=self._watch, args=(puid, proc), daemon=True).start()

    def _watch(self, puid: str, proc: Process) -> None:
        proc.join()
        with self._lock:
            self._procs.pop(puid, None)
        self.send({"event": "exit", "id": puid, "rc": proc.returncode})

    def stop(self, ids: list[str], grace: float) -> None:
        """SIGTERM the jobs, SIGKILL those still running after ``grace`` seconds."""
        with self._lock:
            procs = [self._procs[puid] for puid in ids if puid in self._procs]
        for proc in procs:
            proc.terminate()
        deadline = time.monotonic() + grace
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive:
                proc.kill()

    def serve(self) -> None:
        """Answer requests until shutdown or until the driver disconnects."""
        try:
            for request in read_messages(self._conn):
                op = request.get("op")
                if op == "run":
                    self.run(request)
                elif op == "stop":
                    threading.Thread(
                        target=self.stop, args=(request["ids"], float(request["grace"]))
                    ).start()
                elif op == "shutdown":
                    break
        finally:
            with self._lock:
                left = list(self._procs)
            self.stop(left, 2.0)


def main(socket_path: str) -> int:
    """Listen on ``socket_path``, serve the first connection, then return.

    Gives up (exit code 1) when its parent (the runtime) goes away before the driver
    connects, so that a killed runtime leaves no server behind.
    """
    parent = os.getppid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(socket_path)
        listener.listen(1)
        listener.settimeout(0.5)
        while True:
            try:
                conn, _ = listener.accept()
                break
            except TimeoutError:
                if os.getppid() != parent:
                    return 1
        conn.settimeout(None)
        with conn:
            Server(conn).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
