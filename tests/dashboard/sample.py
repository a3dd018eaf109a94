"""A crafted experiment telemetry tree in SmartSim 0.8's formats (docs/telemetry.md).

One run with a completed model, a failed model, a 2-member ensemble (one member still
running) and a 1-shard database with memory and client metrics; used where the tests need
telemetry without running an experiment.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

NOW_MS = int(time.time() * 1000)


def _event(status_dir: Path, action: str, kind: str, job: int, **extra: Any) -> None:
    status_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "timestamp": NOW_MS - 60_000 + (30_000 if action == "stop" else 0),
        "job_id": job,
        "step_id": "",
        "type": kind,
        "action": action,
        **extra,
    }
    (status_dir / f"{action}.json").write_text(json.dumps(record, indent=2))


def _model(
    exp: Path,
    run_dir: Path,
    name: str,
    params: dict[str, str],
    where: str = "model",
    stopped: int | None = 0,
    output: str = "",
) -> dict[str, Any]:
    path = exp / name
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{name}.out").write_text(output or f"hello from {name}\n")
    (path / f"{name}.err").write_text("" if not stopped else f"{name}: something broke\n")
    status_dir = run_dir / where / name
    _event(status_dir, "start", "model", 4000 + len(name))
    if stopped is not None:
        detail = "status: Completed" if stopped == 0 else "status: Failed"
        _event(status_dir, "stop", "model", 4000 + len(name), detail=detail, return_code=stopped)
    return {
        "name": name,
        "path": str(path),
        "exe_args": ["run.py", name],
        "run_settings": {"exe": ["/usr/bin/python3"], "run_command": None, "run_args": {}},
        "batch_settings": {},
        "params": params,
        "files": {"Symlink": [], "Configure": [], "Copy": []},
        "colocated_db": {},
        "telemetry_metadata": {
            "status_dir": str(status_dir),
            "step_id": None,
            "task_id": str(4000 + len(name)),
            "managed": False,
        },
        "out_file": str(path / f"{name}.out"),
        "err_file": str(path / f"{name}.err"),
    }


def _shard(run_dir: Path, exp: Path) -> dict[str, Any]:
    status_dir = run_dir / "database" / "orchestrator" / "orchestrator_0"
    _event(status_dir, "start", "dbnode", 5000)
    memory = ["timestamp,used_memory,used_memory_peak,total_system_memory"]
    counts = ["timestamp,num_clients"]
    clients = ["timestamp,client_id,address"]
    for i in range(6):
        stamp = NOW_MS - 50_000 + i * 5_000
        memory.append(f"{stamp},{1_000_000 + i * 250_000}.0,{2_000_000 + i * 250_000}.0,8.0e9")
        counts.append(f"{stamp},{1 + i % 3}")
        clients += [f"{stamp},{10 + i},127.0.0.1:{50000 + i}" for _ in range(1)]
    (status_dir / "memory.csv").write_text("\n".join(memory) + "\n")
    (status_dir / "client_count.csv").write_text("\n".join(counts) + "\n")
    (status_dir / "client.csv").write_text("\n".join(clients) + "\n")
    out = exp / "orchestrator_0.out"
    out.write_text("Ready to accept connections\n")
    return {
        "name": "orchestrator_0",
        "hostname": "127.0.0.1",
        "port": 6780,
        "cluster": False,
        "conf_file": None,
        "out_file": str(out),
        "err_file": str(exp / "orchestrator_0.err"),
        "memory_file": str(status_dir / "memory.csv"),
        "client_file": str(status_dir / "client.csv"),
        "client_count_file": str(status_dir / "client_count.csv"),
        "telemetry_metadata": {
            "status_dir": str(status_dir),
            "step_id": None,
            "task_id": "5000",
            "managed": False,
        },
    }


def make_experiment(exp: Path, name: str = "sample-exp") -> Path:
    """Write the sample telemetry under ``exp`` (created); ``exp``."""
    telemetry = exp / ".smartsim" / "telemetry"
    run_dir = telemetry / name / "abc1234"
    members = [
        _model(exp, run_dir, "ens_0", {"alpha": "1"}, where="ensemble/ens"),
        _model(exp, run_dir, "ens_1", {"alpha": "2"}, where="ensemble/ens", stopped=None),
    ]
    manifest = {
        "schema info": {"schema_name": "entity manifest", "version": "0.0.4"},
        "experiment": {
            "name": name,
            "path": str(exp),
            "launcher": "local",
            "out_file": str(telemetry / "logs" / "smartsim.out"),
            "err_file": str(telemetry / "logs" / "smartsim.err"),
        },
        "runs": [
            {
                "run_id": "abc1234",
                "timestamp": time.time_ns(),
                "model": [
                    _model(exp, run_dir, "good", {}, output="<b>not bold</b>\nline 2\n"),
                    _model(exp, run_dir, "bad", {}, stopped=3),
                ],
                "orchestrator": [
                    {
                        "name": "orchestrator",
                        "type": "redis",
                        "interface": ["lo"],
                        "shards": [_shard(run_dir, exp)],
                    }
                ],
                "ensemble": [
                    {
                        "name": "ens",
                        "params": {"alpha": ["1", "2"]},
                        "batch_settings": {},
                        "models": members,
                    }
                ],
            }
        ],
    }
    (telemetry / "logs").mkdir(parents=True, exist_ok=True)
    (telemetry / "logs" / "smartsim.out").write_text("experiment log line\n")
    (telemetry / "manifest.json").write_text(json.dumps(manifest, indent=2))
    os.utime(telemetry / "manifest.json")
    return exp
