"""Reading the files the telemetry and the jobs write: JSON events, output tails, metric CSVs.

Every reader tolerates a file that is missing or still being written (the experiment runs
while the dashboard reads), answering ``None`` or what is complete so far.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t
from collections import deque
from dataclasses import dataclass, field

TAIL_BYTES = 16 * 1024
"""How much of the end of an output file a tail shows at most."""
TAIL_LINES = 200
"""How many lines a tail shows at most."""
MAX_ROWS = 20_000
"""Rows of one metric CSV kept in memory (the newest); a long run's oldest rows are dropped."""


def read_json(path: str) -> dict[str, t.Any] | None:
    """The JSON object in ``path``; None when it is missing, unreadable or partly written."""
    try:
        with open(path, encoding="utf-8") as file:
            value = json.load(file)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def tail(path: str, max_bytes: int = TAIL_BYTES, max_lines: int = TAIL_LINES) -> str | None:
    """The last lines of a text file (at most ``max_bytes``); None when it does not exist."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            file.seek(start)
            data = file.read(max_bytes)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    if start > 0:  # the first line was cut: drop its remainder
        text = text.partition("\n")[2]
    lines = text.splitlines()
    return "\n".join(lines[-max_lines:])


def to_seconds(value: t.Any) -> float | None:
    """A timestamp in seconds since the epoch from s, ms, us or ns (told apart by magnitude)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    if number > 1e17:
        return number / 1e9
    if number > 1e14:
        return number / 1e6
    if number > 1e11:
        return number / 1e3
    return number


@dataclass
class _CsvState:
    """What was read so far of one append-only CSV file."""

    inode: int = -1
    offset: int = 0
    partial: bytes = b""
    rows: deque[list[str]] = field(default_factory=lambda: deque(maxlen=MAX_ROWS))


class CsvCache:
    """Reads append-only CSV files incrementally: each call reads only the bytes added since.

    A file that shrank or was replaced is read again from its start. Header rows (a first
    field that is not a number) are skipped wherever they appear. Safe across threads.
    """

    def __init__(self) -> None:
        self._files: dict[str, _CsvState] = {}
        self._lock = threading.Lock()

    def rows(self, path: str) -> list[list[str]]:
        """The data rows of ``path`` (an empty list when it does not exist yet)."""
        with self._lock:
            state = self._files.setdefault(path, _CsvState())
            self._update(path, state)
            return list(state.rows)

    @staticmethod
    def _update(path: str, state: _CsvState) -> None:
        try:
            with open(path, "rb") as file:
                stat = os.fstat(file.fileno())
                if stat.st_ino != state.inode or stat.st_size < state.offset:
                    state.inode, state.offset, state.partial = stat.st_ino, 0, b""
                    state.rows.clear()
                file.seek(state.offset)
                added = file.read()
        except OSError:
            return
        state.offset += len(added)
        lines = (state.partial + added).split(b"\n")
        state.partial = lines.pop()  # an incomplete last line waits for the rest
        for line in lines:
            fields = line.decode("utf-8", errors="replace").strip().split(",")
            if fields and to_seconds(fields[0]) is not None:
                state.rows.append([value.strip() for value in fields])


def downsample(rows: list[list[str]], limit: int = 400) -> list[list[str]]:
    """At most ``limit`` rows spread evenly over ``rows``, always keeping the newest."""
    if len(rows) <= limit:
        return rows
    step = len(rows) / (limit - 1)
    picked = [rows[int(i * step)] for i in range(limit - 1)]
    picked.append(rows[-1])
    return picked
