"""Fake PBS (qsub, qstat, qdel) and LSF (bsub, bjobs, bkill) that really run batch scripts.

``python fakesched.py <tool> args...``; job state lives in ``$FAKE_WLM_DIR``. Each tool
answers in the real tool's format (as in tests/data/pbs and tests/data/lsf), for the
flags the launchers use. A script line ``#PBS -q bad`` / ``#BSUB -q bad`` is refused as
an unknown queue.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_WLM_DIR"])
RUNNER = 'bash "$0" > "$1" 2> "$2"; echo $? > "$3"'


def _log(*words: str) -> None:
    """Append one JSON list (a tool and its arguments, or ``submit <id>``) to the log."""
    with open(STATE / "log", "a") as log:
        log.write(json.dumps(words) + "\n")


def _next_id() -> int:
    counter = STATE / "counter"
    number = int(counter.read_text()) + 1 if counter.exists() else 100
    counter.write_text(str(number))
    return number


def _directives(script: str, prefix: str) -> dict[str, str]:
    found = {}
    for flag, value in re.findall(rf"^{prefix} -(\w+) ?(.*)$", script, re.MULTILINE):
        found[flag] = value.strip()
    return found


def _start(job_id: str, script_path: Path, name: str, out: str, err: str) -> None:
    proc = subprocess.Popen(
        ["sh", "-c", RUNNER, str(script_path), out, err, str(STATE / f"{job_id}.exit")],
        start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    (STATE / f"{job_id}.json").write_text(json.dumps({"pid": proc.pid, "name": name}))
    _log("submit", job_id)


def _job(job_id: str) -> tuple[dict, int | None] | None:
    meta = STATE / f"{job_id}.json"
    if not meta.exists():
        return None
    record = json.loads(meta.read_text())
    exit_file = STATE / f"{job_id}.exit"
    text = exit_file.read_text().strip() if exit_file.exists() else ""
    if text:
        return record, int(text)
    try:
        os.kill(record["pid"], 0)
        return record, None
    except ProcessLookupError:
        return record, -1


def _kill(job_id: str, code: int) -> bool:
    job = _job(job_id)
    if job is None:
        return False
    record, exit_code = job
    if exit_code is None:
        try:
            os.killpg(record["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
        (STATE / f"{job_id}.exit").write_text(str(code))
    return True


def qsub(args: list[str]) -> int:
    script_path = Path(args[-1])
    found = _directives(script_path.read_text(), "#PBS")
    if found.get("q") == "bad":
        print("qsub: Unknown queue", file=sys.stderr)
        return 170
    job_id = f"{_next_id()}.fakepbs"
    _start(job_id, script_path, found.get("N", "job"), found["o"], found["e"])
    print(job_id)
    return 0


def qstat(args: list[str]) -> int:
    assert args[:5] == ["-f", "-F", "json", "-x"][:4] + args[4:5], args
    jobs, rc = {}, 0
    for job_id in args[4:]:
        job = _job(job_id)
        if job is None:
            print(f"qstat: Unknown Job Id {job_id}", file=sys.stderr)
            rc = 153
            continue
        record, code = job
        fields = {"Job_Name": record["name"], "job_state": "R" if code is None else "F",
                  "queue": "workq", "exec_host": f"{os.uname().nodename}/0"}  # fmt: skip
        if code is not None:
            fields["Exit_status"] = 271 if code == -1 else code
        jobs[job_id] = fields
    doc = {"timestamp": 1, "pbs_version": "2022.1.3", "pbs_server": "fakepbs", "Jobs": jobs}
    print(json.dumps(doc, indent=4))
    return rc


def qdel(args: list[str]) -> int:
    rc = 0
    for job_id in args:
        if not _kill(job_id, 271):
            print(f"qdel: Unknown Job Id {job_id}", file=sys.stderr)
            rc = 153
    return rc


def bsub(args: list[str]) -> int:
    script = sys.stdin.read()
    found = _directives(script, "#BSUB")
    if found.get("q") == "bad":
        print("bad: No such queue. Job not submitted.", file=sys.stderr)
        return 255
    number = _next_id()
    script_path = STATE / f"{number}.sh"
    script_path.write_text(script)
    _start(str(number), script_path, found.get("J", "job"), found["o"], found["e"])
    print(f"Job <{number}> is submitted to queue <normal>.")
    return 0


def bjobs(args: list[str]) -> int:
    assert args[:3] == ["-noheader", "-o", "jobid stat exit_code exec_host job_name delimiter='|'"]
    rc = 0
    for job_id in args[3:]:
        job = _job(job_id)
        if job is None:
            print(f"Job <{job_id}> is not found", file=sys.stderr)
            rc = 255
            continue
        record, code = job
        stat = "RUN" if code is None else ("DONE" if code == 0 else "EXIT")
        exit_code = "-" if code in (None, 0) else str(130 if code == -1 else code)
        print(f"{job_id}|{stat}|{exit_code}|1*{os.uname().nodename}|{record['name']}")
    return rc


def bkill(args: list[str]) -> int:
    for job_id in args:
        if _kill(job_id, 130):
            print(f"Job <{job_id}> is being terminated")
        else:
            print(f"Job <{job_id}>: No matching job found", file=sys.stderr)
    return 0


TOOLS = {f.__name__: f for f in (qsub, qstat, qdel, bsub, bjobs, bkill)}

if __name__ == "__main__":
    tool = sys.argv[1]
    _log(*sys.argv[1:])
    sys.exit(TOOLS[tool](sys.argv[2:]))
