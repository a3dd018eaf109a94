"""Tag replacement in attached files: ``;name;`` becomes the model's param ``name``.

The text functions are pure; :func:`configure_file` adds the reading and writing.
"""

from __future__ import annotations

import re
import shutil
import typing as t
from dataclasses import dataclass, field

from smartsim.error import ParameterWriterError
from smartsim.log import get_logger

logger = get_logger(__name__)

DEFAULT_TAG = ";"


@dataclass
class TagResult:
    """The configured text, the params written into it and the tags left alone."""

    text: str
    used: dict[str, str] = field(default_factory=dict)
    unused: dict[str, list[int]] = field(default_factory=dict)


def tag_pattern(tag: str = DEFAULT_TAG) -> re.Pattern[str]:
    """Regex of one tagged name: the tag, one or more characters on one line, the tag.

    The name may not contain the tag itself, so ``;a; ;b;`` holds two tags.
    """
    if not isinstance(tag, str) or not tag or "\n" in tag:
        raise ValueError(f"A tag must be a non-empty, single-line str, got {tag!r}")
    escaped = re.escape(tag)
    return re.compile(f"{escaped}((?:(?!{escaped})[^\n])+){escaped}")


def _looks_like_tag(name: str) -> bool:
    """Whether an unknown tagged name is worth a warning (text with spaces is not)."""
    return not any(ch.isspace() for ch in name)


def _replace_in_line(
    line: str, lineno: int, params: t.Mapping[str, t.Any], pattern: re.Pattern[str], out: TagResult
) -> str:
    """Replace the tags of one line, recording used params and unknown tags in ``out``."""
    parts: list[str] = []
    pos = 0
    while match := pattern.search(line, pos):
        name = match.group(1)
        if name in params:
            value = str(params[name])
            parts += [line[pos : match.start()], value]
            out.used.setdefault(name, value)
            pos = match.end()
            continue
        # Not a param: keep the text and rescan from the closing tag, which may open the
        # next tag (as in "a; b = ;x;").
        parts.append(line[pos : match.end(1)])
        pos = match.end(1)
        if _looks_like_tag(name):
            lines = out.unused.setdefault(name, [])
            if not lines or lines[-1] != lineno:
                lines.append(lineno)
    parts.append(line[pos:])
    return "".join(parts)


def replace_tags(text: str, params: t.Mapping[str, t.Any], tag: str = DEFAULT_TAG) -> TagResult:
    """Replace every ``<tag>name<tag>`` whose name is a key of ``params`` by ``str(value)``.

    Values are written literally (never read as regex templates) and the replaced text is
    not scanned again. Tags whose name is not a param are left as they are and listed in
    ``unused`` with their 1-based line numbers.

    :param text: the file's text
    :param params: param names to values
    :param tag: the delimiter around a name, ``;`` by default
    """
    pattern = tag_pattern(tag)
    result = TagResult(text="")
    lines = text.split("\n")
    result.text = "\n".join(
        _replace_in_line(line, i, params, pattern, result) for i, line in enumerate(lines, 1)
    )
    return result


def decode_text(data: bytes) -> str | None:
    """The file's text, or None for binary data (a NUL byte or not valid UTF-8)."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as src:
            return src.read()
    except OSError as exc:
        raise ParameterWriterError(path) from exc


def _write_bytes(path: str, data: bytes, mode_from: str) -> None:
    try:
        with open(path, "wb") as dst:
            dst.write(data)
        shutil.copymode(mode_from, path)
    except OSError as exc:
        raise ParameterWriterError(path, read=False) from exc


def configure_file(
    src: str, dst: str, params: t.Mapping[str, t.Any], tag: str = DEFAULT_TAG
) -> dict[str, str]:
    """Write ``src`` to ``dst`` with its tags replaced; return the params written.

    Binary files are copied unchanged. Unknown tags are logged as a warning.

    :raises ParameterWriterError: ``src`` cannot be read or ``dst`` cannot be written
    """
    data = _read_bytes(src)
    text = decode_text(data)
    if text is None:
        logger.debug(f"Copying binary file {src} to {dst} without configuring it")
        _write_bytes(dst, data, src)
        return {}
    result = replace_tags(text, params, tag)
    for name, lines in result.unused.items():
        logger.warning(
            f"Unused tag {name!r} in {src} on line(s) {lines}: it is not a param of the "
            "model, so it is left as it is"
        )
    _write_bytes(dst, result.text.encode("utf-8"), src)
    return result.used
