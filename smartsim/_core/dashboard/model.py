"""The experiment as the dashboard shows it: one JSON-ready snapshot built from the telemetry.

The manifest (``.smartsim/telemetry/manifest.json``, SmartSim 0.8's schema 0.0.4) lists each
``Experiment.start`` call as a run holding models, ensembles (with their member models) and
orchestrators (with their shards). An entity's ``telemetry_metadata.status_dir`` holds
``start.json`` once it started and ``stop.json`` (with ``return_code``) once it ended; a
shard's ``memory_file``/``client_file``/``client_count_file`` are the database's metric CSVs.
"""

from __future__ import annotations

import os
import time
import typing as t

from .readers import TAIL_BYTES, CsvCache, downsample, read_json, tail, to_seconds

MANIFEST_RELPATH = os.path.join(".smartsim", "telemetry", "manifest.json")
"""Where an experiment's telemetry manifest is, relative to its directory."""

REPORT_TAILS_BYTES = 8 * 1024 * 1024
"""Output a report embeds in all; each file's share shrinks as the files grow many."""
MIN_TAIL_BYTES = 1024
"""The least of each output file a report embeds, however many there are."""

PENDING, RUNNING, COMPLETED = "Pending", "Running", "Completed"
FAILED, UNKNOWN = "Failed", "Unknown"
_STOP_DETAILS = {"Cancelled", "Failed", "Completed", "NeverStarted"}
"""A stop event's ``detail`` (``status: <word>``) naming one of these is the job's final status."""

Json = dict[str, t.Any]


class TelemetryNotFound(FileNotFoundError):
    """The experiment directory has no telemetry manifest (nothing was started with telemetry)."""


def manifest_path(exp_path: str) -> str:
    """The manifest file of the experiment in ``exp_path``."""
    return os.path.join(os.path.abspath(exp_path), MANIFEST_RELPATH)


def read_manifest(exp_path: str, attempts: int = 5) -> Json | None:
    """The manifest's content; None when there is none. Retries a file caught mid-write."""
    path = manifest_path(exp_path)
    for attempt in range(attempts):
        if not os.path.exists(path):
            return None
        manifest = read_json(path)
        if manifest is not None:
            return manifest
        time.sleep(0.05 * (attempt + 1))
    raise ValueError(f"{path} is not a JSON object")


def status_of(status_dir: str) -> Json:
    """An entity's status, return code, detail and start/stop times from its event files."""
    start = read_json(os.path.join(status_dir, "start.json")) if status_dir else None
    stop = read_json(os.path.join(status_dir, "stop.json")) if status_dir else None
    result: Json = {
        "status": PENDING,
        "return_code": None,
        "detail": "",
        "started": None,
        "stopped": None,
        "job_id": None,
    }
    if start is None and stop is None:
        return result
    if start is not None:
        result["started"] = to_seconds(start.get("timestamp"))
        result["job_id"] = start.get("job_id") or start.get("step_id") or None
    if stop is None:
        result["status"] = RUNNING
        return result
    result["stopped"] = to_seconds(stop.get("timestamp"))
    detail = str(stop.get("detail") or "")
    code = stop.get("return_code")
    result["detail"] = detail
    result["return_code"] = code
    said = detail.removeprefix("status:").strip()
    if said in _STOP_DETAILS:
        result["status"] = said
    elif isinstance(code, int):
        result["status"] = COMPLETED if code == 0 else FAILED
    else:
        result["status"] = UNKNOWN
    return result


class _Builder:
    """Turns one manifest into the snapshot, numbering entities in the order it reads them."""

    def __init__(self, exp_path: str, csv: CsvCache, tail_bytes: int) -> None:
        self.exp_path = os.path.abspath(exp_path)
        self.csv = csv
        self.tail_bytes = tail_bytes
        """How much of each output file to include (0: no tails)."""
        self.files: dict[str, tuple[str, str]] = {}
        """Each entity id's output and error files (what the server may show a tail of)."""

    def path(self, value: t.Any) -> str:
        """A manifest path, made absolute against the experiment directory."""
        text = str(value or "")
        return os.path.join(self.exp_path, text) if text and not os.path.isabs(text) else text

    def job(self, raw: Json, kind: str, run_id: str) -> Json:
        """The fields every launched entity shows: names, files, status."""
        entity_id = f"e{len(self.files)}"
        metadata = raw.get("telemetry_metadata") or {}
        out_file, err_file = self.path(raw.get("out_file")), self.path(raw.get("err_file"))
        self.files[entity_id] = (out_file, err_file)
        entity: Json = {
            "id": entity_id,
            "kind": kind,
            "name": str(raw.get("name", "")),
            "run_id": run_id,
            "out_file": out_file,
            "err_file": err_file,
            "step_id": metadata.get("step_id"),
            "task_id": metadata.get("task_id"),
            "managed": metadata.get("managed"),
        }
        entity.update(status_of(self.path(metadata.get("status_dir"))))
        if self.tail_bytes:
            entity["out_tail"] = self.tail(out_file)
            entity["err_tail"] = self.tail(err_file)
        return entity

    def tail(self, path: str) -> str | None:
        """The end of an output file, at most ``tail_bytes`` of it."""
        return tail(path, self.tail_bytes) if path else None

    def model(self, raw: Json, kind: str, run_id: str) -> Json:
        """A model or ensemble member: its job fields, command, parameters and files."""
        entity = self.job(raw, kind, run_id)
        run_settings = raw.get("run_settings") or {}
        entity.update(
            path=self.path(raw.get("path")),
            exe=_text(raw.get("exe") or run_settings.get("exe")),
            exe_args=list(raw.get("exe_args") or []),
            run_command=run_settings.get("run_command") or "",
            run_args=run_settings.get("run_args") or {},
            batch=bool(raw.get("batch_settings")),
            params={str(k): str(v) for k, v in (raw.get("params") or {}).items()},
            files=raw.get("files") or {},
            colocated=bool(raw.get("colocated_db")),
        )
        return entity

    def ensemble(self, raw: Json, run_id: str) -> Json:
        """An ensemble: its parameters and its members, with a count of their statuses."""
        members = [self.model(m, "member", run_id) for m in raw.get("models") or []]
        return {
            "name": str(raw.get("name", "")),
            "run_id": run_id,
            "params": raw.get("params") or {},
            "batch": bool(raw.get("batch_settings")),
            "members": members,
            "counts": count_statuses(members),
        }

    def shard(self, raw: Json, run_id: str) -> Json:
        """A database shard: its job fields, address and the metrics collected about it."""
        shard = self.job(raw, "shard", run_id)
        shard.update(
            hostname=str(raw.get("hostname", "")),
            port=raw.get("port"),
            cluster=bool(raw.get("cluster")),
            conf_file=raw.get("conf_file"),
            memory=self.memory(self.path(raw.get("memory_file"))),
            client_counts=self.client_counts(self.path(raw.get("client_count_file"))),
            clients=self.clients(self.path(raw.get("client_file"))),
        )
        return shard

    def database(self, raw: Json, run_id: str) -> Json:
        """An orchestrator: its type, interfaces and shards."""
        shards = [self.shard(s, run_id) for s in raw.get("shards") or []]
        interface = raw.get("interface") or []
        return {
            "name": str(raw.get("name", "")),
            "run_id": run_id,
            "type": str(raw.get("type", "")),
            "interface": [interface] if isinstance(interface, str) else list(interface),
            "shards": shards,
            "counts": count_statuses(shards),
        }

    def memory(self, path: str) -> list[list[float]]:
        """Rows of [time s, used, peak, total system memory] (bytes), thinned for a chart."""
        rows = self.csv.rows(path) if path else []
        return [_numbers(row, 4) for row in downsample([r for r in rows if len(r) >= 4])]

    def client_counts(self, path: str) -> list[list[float]]:
        """Rows of [time s, connected clients], thinned for a chart."""
        rows = self.csv.rows(path) if path else []
        return [_numbers(row, 2) for row in downsample([r for r in rows if len(r) >= 2])]

    def clients(self, path: str) -> list[Json]:
        """The clients connected at the latest collection: their id and address."""
        rows = [r for r in (self.csv.rows(path) if path else []) if len(r) >= 3]
        if not rows:
            return []
        latest = rows[-1][0]
        return [{"client_id": r[1], "address": r[2]} for r in rows if r[0] == latest]


def _text(value: t.Any) -> str:
    """A command part as text: SmartSim writes ``exe`` as a list of words."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value or "")


def _numbers(row: list[str], width: int) -> list[float]:
    """The first ``width`` fields as numbers, the first converted to seconds."""
    values = [to_seconds(row[0]) or 0.0]
    for value in row[1:width]:
        try:
            values.append(float(value))
        except ValueError:
            values.append(0.0)
    return values


def count_statuses(entities: list[Json]) -> dict[str, int]:
    """How many of ``entities`` are in each status."""
    counts: dict[str, int] = {}
    for entity in entities:
        counts[entity["status"]] = counts.get(entity["status"], 0) + 1
    return counts


def load_snapshot(
    exp_path: str, *, tails: bool = False, csv: CsvCache | None = None, require: bool = False
) -> tuple[Json, dict[str, tuple[str, str]]]:
    """The experiment's snapshot, and each entity id's (output, error) files.

    :param tails: include the tails of every output file (the report embeds them; the live
        page asks for one entity's tails when it is opened)
    :param csv: a cache that keeps metric CSVs read between calls (the server keeps one)
    :param require: raise TelemetryNotFound when there is no manifest, instead of answering
        a snapshot that says the telemetry is not there yet
    """
    exp_path = os.path.abspath(exp_path)
    manifest = read_manifest(exp_path)
    if manifest is None:
        if require:
            raise TelemetryNotFound(f"no telemetry manifest at {manifest_path(exp_path)}")
        return _empty(exp_path), {}
    builder = _Builder(exp_path, csv or CsvCache(), _tail_budget(manifest) if tails else 0)
    models: list[Json] = []
    ensembles: list[Json] = []
    databases: list[Json] = []
    runs: list[Json] = []
    for raw_run in manifest.get("runs") or []:
        run_id = str(raw_run.get("run_id", ""))
        runs.append({"run_id": run_id, "timestamp": to_seconds(raw_run.get("timestamp"))})
        databases += [builder.database(d, run_id) for d in raw_run.get("orchestrator") or []]
        models += [builder.model(m, "model", run_id) for m in raw_run.get("model") or []]
        ensembles += [builder.ensemble(e, run_id) for e in raw_run.get("ensemble") or []]
    experiment = manifest.get("experiment") or {}
    snapshot = _empty(exp_path)
    jobs = models + [m for e in ensembles for m in e["members"]]
    shards = [s for d in databases for s in d["shards"]]
    snapshot.update(
        found=True,
        schema=str((manifest.get("schema info") or {}).get("version", "")),
        runs=runs,
        models=models,
        ensembles=ensembles,
        databases=databases,
        counts=count_statuses(jobs),
    )
    snapshot["experiment"].update(
        name=str(experiment.get("name") or snapshot["experiment"]["name"]),
        launcher=str(experiment.get("launcher", "")),
        status=RUNNING
        if any(e["status"] in (PENDING, RUNNING) for e in jobs + shards)
        else "Inactive",
    )
    for key in ("out_file", "err_file"):
        path = builder.path(experiment.get(key))
        snapshot["experiment"][key] = path
        snapshot["experiment"]["has_log"] |= bool(path) and os.path.exists(path)
        if tails:
            snapshot["experiment"][key.replace("file", "tail")] = builder.tail(path)
    files = dict(builder.files)
    files["experiment"] = (snapshot["experiment"]["out_file"], snapshot["experiment"]["err_file"])
    return snapshot, files


def _tail_budget(manifest: Json) -> int:
    """Bytes of each output file a report embeds: all of TAIL_BYTES until the files are many."""
    jobs = 1  # the experiment's own log
    for run in manifest.get("runs") or []:
        jobs += len(run.get("model") or [])
        jobs += sum(len(e.get("models") or []) for e in run.get("ensemble") or [])
        jobs += sum(len(d.get("shards") or []) for d in run.get("orchestrator") or [])
    return max(MIN_TAIL_BYTES, min(TAIL_BYTES, REPORT_TAILS_BYTES // (2 * jobs)))


def _empty(exp_path: str) -> Json:
    """A snapshot of an experiment whose telemetry is not there (yet)."""
    return {
        "found": False,
        "generated": time.time(),
        "manifest": os.path.join(exp_path, MANIFEST_RELPATH),
        "schema": "",
        "experiment": {
            "name": os.path.basename(exp_path),
            "path": exp_path,
            "launcher": "",
            "status": "Waiting for telemetry",
            "out_file": "",
            "err_file": "",
            "has_log": False,
        },
        "runs": [],
        "models": [],
        "ensembles": [],
        "databases": [],
        "counts": {},
    }
