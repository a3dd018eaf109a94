"""Run an external command without a shell: the one way the library asks a tool something."""

from __future__ import annotations

import subprocess

CommandResult = tuple[int, str, str]
"""``(returncode, stdout, stderr)``."""


def run_command(argv: list[str], timeout: float = 30.0, stdin: str | None = None) -> CommandResult:
    """Run ``argv`` and return ``(returncode, stdout, stderr)``; never raises for the tool.

    A missing program is reported as code 127, a timeout as 124 and another OS error as
    126, each with the reason in ``stderr``.

    :param stdin: text written to the command's standard input (e.g. a script for bsub)
    """
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        return 127, "", str(exc)
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} did not answer within {timeout} s"
    except OSError as exc:
        return 126, "", str(exc)
    return done.returncode, done.stdout or "", done.stderr or ""
