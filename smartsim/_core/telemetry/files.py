"""Writing telemetry files: whole JSON files atomically, CSV files a line at a time."""

from __future__ import annotations

import json
import os
import tempfile
import time
import typing as t


def now_ms() -> int:
    """Milliseconds since the epoch, the timestamps of status events and metric samples."""
    return time.time_ns() // 1_000_000


def write_json(path: str, data: t.Any) -> None:
    """Write ``data`` as indented JSON to ``path``, atomically: a reader sees the old file or
    the whole new one, never part of it (a temporary ``.<name>.*.tmp`` beside it, renamed)."""
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, default=str)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def read_json(path: str) -> t.Any:
    """The JSON in ``path``; None when it is missing or not valid JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def append_rows(path: str, header: t.Sequence[str], rows: t.Iterable[t.Sequence[t.Any]]) -> None:
    """Append comma-separated rows to ``path``, writing ``header`` first when it is new."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = [",".join(map(str, row)) + "\n" for row in rows]
    with open(path, "a", encoding="utf-8") as handle:
        if handle.tell() == 0:
            lines.insert(0, ",".join(header) + "\n")
        handle.write("".join(lines))
