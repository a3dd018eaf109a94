"""Headless Chromium for the dashboard tests: the DOM after the page's script ran, screenshots.

Debian's ``chromium`` (scripts/install-chromium.sh installs it). Each call is one browser
process with its own temporary profile, killed with its whole process group on timeout. A
script error on the page, or a load its Content-Security-Policy refused, fails the call.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import typing as t
from html.parser import HTMLParser
from pathlib import Path

import pytest

TIMEOUT = 90.0
"""Seconds one browser run may take (a cold start on a busy 2-core machine is slow)."""


def browser() -> str:
    """The chromium executable; skips the test when there is none."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (scripts/install-chromium.sh installs it)")
    return exe


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots are kept: $SMARTSIM_TEST_ARTIFACTS/dashboard if set, else tmp_path."""
    root = os.environ.get("SMARTSIM_TEST_ARTIFACTS")
    target = Path(root) / "dashboard" if root else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


def _run(url: str, *extra: str) -> str:
    """Run headless Chromium on ``url`` with ``extra`` flags; its stdout."""
    with tempfile.TemporaryDirectory(prefix="smartsim-chromium-") as profile:
        argv = [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--enable-logging=stderr",  # the page's console messages, checked below
            "--v=0",
            *extra,
            url,
        ]
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True
        )
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        finally:
            _kill_group(proc.pid)  # helpers chromium left behind (zygote, utility processes)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {err[-2000:]}")
    blocked = ("Uncaught", "Content Security Policy")  # a script error; a load CSP refused
    problems = [
        line
        for line in err.splitlines()
        if ":CONSOLE" in line and any(word in line for word in blocked)
    ]
    assert not problems, "the page's script failed or loaded something:\n" + "\n".join(problems)
    return out


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def dump_dom(url: str, budget_ms: int = 5000) -> str:
    """The page's DOM as HTML once its script ran for ``budget_ms`` of virtual time."""
    return _run(url, f"--virtual-time-budget={budget_ms}", "--dump-dom")


def screenshot(url: str, path: Path, size: str = "1400,1800", budget_ms: int = 5000) -> Path:
    """A PNG of the page, rendered after ``budget_ms`` of virtual time; ``path``."""
    _run(url, f"--virtual-time-budget={budget_ms}", f"--screenshot={path}", f"--window-size={size}")
    assert path.is_file() and path.stat().st_size > 0, f"no screenshot written at {path}"
    return path


class _Rows(HTMLParser):
    """Collects the page's entity rows: data attributes and the text of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, t.Any]] = {}
        self._row: dict[str, t.Any] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "entity" in (found.get("class") or "").split():
            self._row = {
                "status": found.get("data-status"),
                "kind": found.get("data-kind"),
                "id": found.get("data-id"),
                "cells": [],
            }
            self.rows[found.get("data-name") or ""] = self._row
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data + " ")


def entity_rows(dom: str) -> dict[str, dict[str, t.Any]]:
    """Each entity row of a dumped page by name: status, kind, id and its cells' text."""
    parser = _Rows()
    parser.feed(dom)
    return parser.rows


def without_code(dom: str) -> str:
    """The dumped page without its script and style elements (what a reader can see)."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
