"""``manifest.json``: every run of an experiment, in SmartSim 0.8's schema (version 0.0.4)."""

from __future__ import annotations

import os
import typing as t

from smartsim._core.telemetry.config import MANIFEST_FILENAME, TELEMETRY_SUBDIR
from smartsim._core.telemetry.events import LaunchedJob
from smartsim._core.telemetry.files import read_json, write_json

if t.TYPE_CHECKING:
    from smartsim.database import Orchestrator
    from smartsim.entity import Ensemble, Model
    from smartsim.settings.base import BatchSettings

SCHEMA_VERSION = "0.0.4"
METRIC_FILES = {
    "memory_file": "memory.csv",
    "client_file": "client.csv",
    "client_count_file": "client_count.csv",
}
"""The manifest field naming each database metric file, and the file's name."""

Jobs = t.Mapping[str, LaunchedJob]
"""Launched jobs by entity (model, member or DBNode) name."""


def manifest_path(exp_path: str) -> str:
    """Where the experiment's manifest is."""
    return os.path.join(exp_path, TELEMETRY_SUBDIR, MANIFEST_FILENAME)


def _telemetry_metadata(job: LaunchedJob) -> dict[str, t.Any]:
    return {
        "status_dir": job.status_dir,
        "step_id": job.step_id,
        "task_id": job.task_id,
        "managed": job.managed,
    }


def _batch(settings: BatchSettings | None) -> dict[str, t.Any]:
    if settings is None:
        return {}
    return {"batch_command": settings.batch_cmd, "batch_args": dict(settings.batch_args)}


def _colocated(model: Model) -> dict[str, t.Any]:
    """The model's colocated database: its settings and the ML objects loaded into it."""
    if not model.colocated:
        return {}
    return {
        "settings": dict(model.colocated_db_settings),
        "scripts": [{s.name: {"backend": "TORCH", "device": s.device}} for s in model.db_scripts],
        "models": [{m.name: {"backend": m.backend, "device": m.device}} for m in model.db_models],
    }


def model_entry(model: Model, job: LaunchedJob) -> dict[str, t.Any]:
    """A model (or ensemble member) as the manifest lists it."""
    settings = model.run_settings
    files = model.files
    return {
        "name": model.name,
        "path": model.path,
        "exe_args": list(settings.exe_args) if settings else [],
        "run_settings": {
            "exe": list(settings.exe) if settings else [],
            "run_command": settings.run_command if settings else None,
            "run_args": dict(settings.run_args) if settings else {},
        },
        "batch_settings": _batch(model.batch_settings),
        "params": dict(model.params),
        "files": {
            "Symlink": list(files.link) if files else [],
            "Configure": list(files.tagged) if files else [],
            "Copy": list(files.copy) if files else [],
        },
        "colocated_db": _colocated(model),
        "telemetry_metadata": _telemetry_metadata(job),
        "out_file": job.out_file,
        "err_file": job.err_file,
    }


def ensemble_entry(ensemble: Ensemble, jobs: Jobs) -> dict[str, t.Any]:
    """An ensemble and its launched members."""
    return {
        "name": ensemble.name,
        "params": dict(ensemble.params),
        "batch_settings": _batch(ensemble.batch_settings),
        "models": [model_entry(m, jobs[m.name]) for m in ensemble.models if m.name in jobs],
    }


def database_entry(db: Orchestrator, jobs: Jobs) -> dict[str, t.Any]:
    """A database and its shards: where each listens, its files and its metric files."""
    shards = []
    for node in db.entities:
        job = jobs.get(node.name)
        if job is None:
            continue
        hosts = node.shard_hosts
        for i, (name, port) in enumerate(zip(node.shard_names, node.ports, strict=True)):
            out_file = node.output_files[i] if node.is_mpmd else job.out_file
            err_file = f"{os.path.splitext(out_file)[0]}.err" if node.is_mpmd else job.err_file
            metrics = {
                field: os.path.join(job.status_dir, file) if db.telemetry.is_enabled else ""
                for field, file in METRIC_FILES.items()
            }
            shards.append(
                {
                    "name": name,
                    "hostname": hosts[i][0] if hosts[i] else "",
                    "port": port,
                    "cluster": db.is_clustered,
                    "conf_file": f"nodes-{name}-{port}.conf" if db.is_clustered else None,
                    "out_file": out_file,
                    "err_file": err_file,
                    **metrics,
                    "telemetry_metadata": _telemetry_metadata(job),
                }
            )
    return {"name": db.name, "type": db.db_type, "interface": db.interfaces, "shards": shards}


def add_run(exp_name: str, exp_path: str, launcher: str, run: dict[str, t.Any]) -> dict[str, t.Any]:
    """Append ``run`` to the experiment's manifest (a new one when it is missing or
    unreadable) and write it back atomically; the whole manifest."""
    path = manifest_path(exp_path)
    manifest = read_json(path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("runs"), list):
        logs = os.path.join(exp_path, TELEMETRY_SUBDIR, "logs")
        manifest = {
            "schema info": {"schema_name": "entity manifest", "version": SCHEMA_VERSION},
            "experiment": {
                "name": exp_name,
                "path": exp_path,
                "launcher": launcher,
                "out_file": os.path.join(logs, "smartsim.out"),
                "err_file": os.path.join(logs, "smartsim.err"),
            },
            "runs": [],
        }
    manifest["runs"].append(run)
    write_json(path, manifest)
    return manifest
