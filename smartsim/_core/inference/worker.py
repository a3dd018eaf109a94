"""An inference worker beside a database server: runs the models and scripts stored there.

``python -m smartsim._core.inference.worker --address 127.0.0.1:6379``
The server's smartsim-ai module (``smartsim/_core/aimodule``) hands out jobs: the worker
calls ``AI._WORK`` with the results of its last jobs, and the call returns its next jobs,
blocking until there are some. A job loads a model or script (checking that it loads before
the module stores it) or runs one on input tensors that come with the job; the outputs go
back in the next ``AI._WORK``, and the module writes them and answers the caller. Several
workers may serve one server (``threads_per_queue``); each keeps its own copy of the models.
Calls to a model with ``batch_size`` > 0 that are waiting together run as one batch.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
import typing as t
from dataclasses import dataclass

import numpy as np

from smartredis.wire import Chunks, Connection, ProtocolError, ReplyError
from smartredis.wire import tensor as tensor_format
from smartsim._core.inference import backends

Result = list[t.Any]
"""One job's result as AI._WORK arguments: ``[id, OK, us, samples, n, blob...]`` or
``[id, ERR|NOMODEL, message]``."""


def _text(value: t.Any) -> str:
    return bytes(value).decode(errors="replace") if value is not None else ""


@dataclass
class Loaded:
    """A model or script held in memory, at the version the module last stored."""

    version: str
    kind: str
    runner: t.Any
    batch_size: int = 0
    min_batch_size: int = 0
    min_batch_timeout: int = 0


@dataclass(slots=True)
class Run:
    """One run job: which object, its decoded inputs, how many samples they hold (the first
    input's first axis; 1 for a scalar)."""

    job_id: int
    name: bytes
    version: str
    function: str
    inputs: list[np.ndarray]
    samples: int
    args: list[str]
    keys: list[str]
    """A script's ARGS and KEYS (AI.SCRIPTEXECUTE), for RedisAI's list-form entry points."""
    variadic: int
    """AI.SCRIPTRUN: inputs from this index on are one List[Tensor] argument ("$"); -1: none."""


class Worker:
    """One worker: a loop of AI._WORK calls on one connection to its server."""

    def __init__(self, address: str) -> None:
        self.conn = Connection(address, timeout=None)
        self.loaded: dict[bytes, Loaded] = {}
        self.failed: dict[bytes, str] = {}
        """Why the latest load of an object failed (its runs answer with this)."""
        self.pending: Result = []
        """Results of jobs taken while waiting to fill a batch, for the next AI._WORK."""

    def connect(self, timeout: float = 60.0) -> None:
        """Wait until the server answers (it may still be loading its data)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.conn.connect(timeout=1.0)
                self.conn.execute("PING")
                return
            except (OSError, ProtocolError, ReplyError):
                self.conn.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def serve(self) -> None:
        """Take jobs and hand back results until the server goes away."""
        results: list[t.Any] = []
        while True:
            jobs = t.cast(list[list[t.Any]], self.conn.execute("AI._WORK", *results))
            results = self.work(jobs)

    def work(self, jobs: list[list[t.Any]]) -> list[t.Any]:
        """Carry out a list of jobs; their results, flattened as AI._WORK arguments."""
        out: list[t.Any] = []
        runs: list[Run] = []
        for job in jobs:
            op = _text(job[0])
            if op == "load":
                out += self.run_all(runs)
                runs = []
                out += self.load(job)
            elif op == "run":
                runs.append(_run_of(job))
        out += self.run_all(runs)
        pending, self.pending = self.pending, []
        return pending + out

    # -- loading ------------------------------------------------------------------------------
    def load(self, job: list[t.Any]) -> Result:
        """Load (and so check) a model or script; a result unless the module made the job
        itself for a run that follows (id 0)."""
        job_id, name, kind, version = int(job[1]), bytes(job[2]), _text(job[3]), _text(job[4])
        backend, device = _text(job[5]), _text(job[6]) or "CPU"
        inputs, outputs = [_text(x) for x in job[11]], [_text(x) for x in job[12]]
        blobs = [bytes(chunk) for chunk in job[14]]
        runner: backends.Runner | backends.TorchScript
        try:
            if kind == "MODEL":
                runner = backends.load_model(backend, b"".join(blobs), device, inputs, outputs)
            else:
                runner = backends.TorchScript(blobs[0].decode() if blobs else "", device)
        except Exception as exc:  # the backend's reason goes back to the caller
            self.loaded.pop(name, None)
            self.failed[name] = _describe(exc)
            return [job_id, "ERR", self.failed[name]] if job_id else []
        self.failed.pop(name, None)
        self.loaded[name] = Loaded(version, kind, runner, int(job[8]), int(job[9]), int(job[10]))
        return [job_id, "OK", 0, 0, 0] if job_id else []

    # -- running ------------------------------------------------------------------------------
    def run_all(self, runs: list[Run]) -> Result:
        """Run jobs in order; consecutive calls of one batching model run as one batch."""
        out: Result = []
        i = 0
        while i < len(runs):
            loaded = self.loaded.get(runs[i].name)
            group = [runs[i]]
            if loaded is not None and loaded.batch_size > 0:
                group = self.batch_from(runs, i, loaded)
            out += self.run_group(group)
            i += len(group)
        return out

    def batch_from(self, runs: list[Run], start: int, loaded: Loaded) -> list[Run]:
        """The calls from ``start`` on to the same model that fit in its batch size; waits
        up to min_batch_timeout for more when fewer than min_batch_size samples are here."""
        group = [runs[start]]
        samples = runs[start].samples
        for run in runs[start + 1 :]:
            if run.name != runs[start].name or samples + run.samples > loaded.batch_size:
                break
            group.append(run)
            samples += run.samples
        if start + len(group) == len(runs) and samples < loaded.min_batch_size:
            group += self.wait_for_more(runs[start].name, samples, loaded)
        return group

    def wait_for_more(self, name: bytes, samples: int, loaded: Loaded) -> list[Run]:
        """Fetch more calls to ``name`` until min_batch_size samples or min_batch_timeout."""
        more: list[Run] = []
        deadline = time.monotonic() + (loaded.min_batch_timeout or 0) / 1000
        while samples < loaded.min_batch_size:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if loaded.min_batch_timeout and left_ms <= 0:
                break
            jobs = t.cast(list[list[t.Any]], self.conn.execute("AI._WORK", "WAIT", max(left_ms, 1)))
            for job in jobs:
                if _text(job[0]) != "run" or bytes(job[2]) != name:
                    self.pending += self.work([job])
                    continue
                run = _run_of(job)
                more.append(run)
                samples += run.samples
        return more

    def run_group(self, group: list[Run]) -> Result:
        """Run one call, or a batch of calls to one model; their results."""
        first = group[0]
        loaded = self.loaded.get(first.name)
        if loaded is None or loaded.version != first.version:
            reason = self.failed.get(first.name, "the model or script is not loaded")
            return [x for run in group for x in (run.job_id, "NOMODEL", reason)]
        started = time.perf_counter()
        try:
            if loaded.kind == "SCRIPT":
                outputs = [
                    loaded.runner.call(
                        first.function, first.inputs, first.keys, first.args, first.variadic
                    )
                ]
            elif len(group) == 1:
                outputs = [loaded.runner(first.inputs)]
            else:
                outputs = _split(loaded.runner(_join(group)), [run.samples for run in group])
        except Exception as exc:
            reason = _describe(exc)
            return [x for run in group for x in (run.job_id, "ERR", reason)]
        share = int((time.perf_counter() - started) * 1e6) // len(group)
        out: Result = []
        for run, arrays in zip(group, outputs, strict=True):
            out += [run.job_id, "OK", share, run.samples if loaded.kind == "MODEL" else 0]
            out += [len(arrays), *(_encode(array) for array in arrays)]
        return out


def _run_of(job: list[t.Any]) -> Run:
    """A run job: ``["run", id, name, kind, version, function, [inputs], noutputs, [args],
    [keys], variadic]``."""
    inputs = [tensor_format.array_view(value) for value in job[6]]
    first = inputs[0] if inputs else None
    samples = int(first.shape[0]) if first is not None and first.ndim else 1
    args, keys = [_text(a) for a in job[8]], [_text(k) for k in job[9]]
    return Run(
        int(job[1]),
        bytes(job[2]),
        _text(job[4]),
        _text(job[5]),
        inputs,
        samples,
        args,
        keys,
        int(job[10]),
    )


def _join(group: list[Run]) -> list[np.ndarray]:
    """The inputs of several calls concatenated along the batch axis."""
    widths = {len(run.inputs) for run in group}
    if len(widths) != 1:
        raise ValueError("batched calls give different numbers of inputs")
    return [np.concatenate(parts) for parts in zip(*(run.inputs for run in group), strict=True)]


def _split(outputs: list[np.ndarray], counts: list[int]) -> list[list[np.ndarray]]:
    """Each call's share of a batch's outputs."""
    bounds = np.cumsum([0, *counts])
    return [[out[bounds[i] : bounds[i + 1]] for out in outputs] for i in range(len(counts))]


def _encode(array: np.ndarray) -> Chunks:
    """An output in the stored tensor format, in one piece (the module splits nothing)."""
    prepared, code = tensor_format.prepare(np.ascontiguousarray(array))
    header = tensor_format.encode_header(code, prepared.shape, 1)
    return Chunks((header, tensor_format.byte_view(prepared)))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return f"{type(exc).__name__}: {exc}".strip().replace("\r", " ").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    """Run the worker until its server goes away."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True, help="host:port or unix:///path of the server")
    parser.add_argument("--inter-op-threads", type=int, default=None)
    parser.add_argument("--intra-op-threads", type=int, default=None)
    args = parser.parse_args(argv)
    backends.configure_threads(args.inter_op_threads, args.intra_op_threads)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: cleanly
    worker = Worker(args.address)
    try:
        worker.connect()
        worker.serve()
    except (OSError, ConnectionError) as exc:
        print(f"inference worker of {args.address}: the server went away ({exc})", file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        return 0
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
