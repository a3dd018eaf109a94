"""``smart dashboard``'s server: the live page, its snapshot and entity output tails over HTTP.

Standard library only (``http.server.ThreadingHTTPServer``). Routes: ``/`` the page,
``/api/snapshot`` the experiment as JSON, ``/api/tail?id=<entity id>`` the tails of that
entity's output and error files. Only files the manifest names are ever read for a tail.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
import typing as t
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from smartsim.log import get_logger

from .model import Json, load_snapshot
from .page import render_page
from .readers import CsvCache, tail

logger = get_logger(__name__)

FRESH_FOR = 0.5
"""Seconds one snapshot answers every request (several open pages cost one read)."""


class _Snapshots:
    """The latest snapshot of one experiment, rebuilt when older than FRESH_FOR."""

    def __init__(self, exp_path: str) -> None:
        self.exp_path = exp_path
        self._csv = CsvCache()
        self._lock = threading.Lock()
        self._built = 0.0
        self._snapshot: Json | None = None
        self._files: dict[str, tuple[str, str]] = {}

    def current(self) -> tuple[Json, dict[str, tuple[str, str]]]:
        """The snapshot and the entities' files; the previous one if the manifest is mid-write."""
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._built > FRESH_FOR:
                try:
                    self._snapshot, self._files = load_snapshot(self.exp_path, csv=self._csv)
                except ValueError as error:
                    if self._snapshot is None:
                        raise
                    logger.debug(f"kept the previous snapshot: {error}")
                self._built = time.monotonic()
            return self._snapshot, self._files


class _Handler(BaseHTTPRequestHandler):
    """Answers the page, the snapshot and tails; everything else is 404."""

    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Route one GET request."""
        url = urlsplit(self.path)
        try:
            if not self._host_allowed():
                self._send(
                    HTTPStatus.MISDIRECTED_REQUEST,
                    "text/plain; charset=utf-8",
                    "this dashboard answers only to its loopback address\n",
                )
            elif url.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.server.page)
            elif url.path == "/api/snapshot":
                snapshot, _ = self.server.snapshots.current()
                self._send_json(snapshot)
            elif url.path == "/api/tail":
                self._tail(parse_qs(url.query).get("id", [""])[0])
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as error:  # noqa: BLE001 (one bad request must not stop the server)
            logger.warning(f"dashboard: {url.path}: {error}")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", f"{error}\n")

    def _host_allowed(self) -> bool:
        """On loopback, only requests naming a loopback host (a page of another site that
        renamed itself to 127.0.0.1, DNS rebinding, must not read the outputs)."""
        if not self.server.loopback:
            return True
        host = urlsplit(f"//{self.headers.get('Host', '')}").hostname or ""
        return _is_loopback(host)

    def _tail(self, entity_id: str) -> None:
        _, files = self.server.snapshots.current()
        if entity_id not in files:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "no such entity\n")
            return
        out_file, err_file = files[entity_id]
        self._send_json(
            {
                "out": tail(out_file) if out_file else None,
                "err": tail(err_file) if err_file else None,
            }
        )

    def _send_json(self, value: t.Any) -> None:
        body = json.dumps(value, separators=(",", ":"), default=str)
        self._send(HTTPStatus.OK, "application/json", body)

    def _send(self, status: HTTPStatus, content_type: str, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 (base's name)
        """Requests go to the debug log, not to stderr."""
        logger.debug("dashboard %s: " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding what every request needs."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], snapshots: _Snapshots, page: str) -> None:
        self.snapshots = snapshots
        self.page = page
        self.loopback = _is_loopback(address[0])
        if ":" in address[0]:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DashboardServer:
    """A running dashboard of one experiment, bound as soon as it is made.

    :param exp_path: the experiment directory
    :param host: the address to listen on (loopback by default: outputs are not public)
    :param port: the port; 0 picks a free one (see ``url``)
    """

    def __init__(self, exp_path: str, host: str = "127.0.0.1", port: int = 8501) -> None:
        snapshots = _Snapshots(exp_path)
        snapshot, _ = snapshots.current()
        self._http = _Server((host, port), snapshots, render_page(snapshot["experiment"]["name"]))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the page is served."""
        host, port = self._http.server_address[:2]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"

    def serve_forever(self) -> None:
        """Serve until ``shutdown`` is called (from another thread) or the process is ended."""
        self._http.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        """Serve from a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="dashboard", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving and close the socket (waits for the background thread, if any)."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join()
            self._thread = None
        self._http.server_close()

    def __enter__(self) -> DashboardServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
