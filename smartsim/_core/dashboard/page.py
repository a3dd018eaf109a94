"""The dashboard's one HTML page: live (its script polls the server) or a report (data inside).

The page names no external resource, and its Content-Security-Policy forbids loading any:
the live page may only talk to the server that sent it, the report to nothing at all.
"""

from __future__ import annotations

import html
import json
import typing as t

from .assets import CSS, JS

_LIVE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:"
)
"""What the live page may load: its inline script and style, and requests to its own server."""
_REPORT_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"
"""What a report may load: nothing beyond itself."""


def _script_json(value: t.Any) -> str:
    """JSON that is safe inside a <script> element (no ``</script>`` or ``<!--`` can form)."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(title: str, snapshot: dict[str, t.Any] | None = None) -> str:
    """The page; with a snapshot it is a self-contained report, without one the live page."""
    policy = _LIVE_POLICY if snapshot is None else _REPORT_POLICY
    data = (
        ""
        if snapshot is None
        else (f"<script>window.SMARTSIM_SNAPSHOT = {_script_json(snapshot)};</script>\n")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>SmartSim: {html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header id="top"><h1 id="exp-name">{html.escape(title)}</h1></header>\n'
        '<main id="app"><p class="muted">Loading\u2026</p>'
        "<noscript>This page needs JavaScript to show the experiment.</noscript></main>\n"
        f"{data}<script>{JS}</script>\n</body>\n</html>\n"
    )
