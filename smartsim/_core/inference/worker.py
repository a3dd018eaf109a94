"""The inference worker beside each database shard: runs stored models and scripts.

``python -m smartsim._core.inference.worker --address 127.0.0.1:6379 [--cluster]``
It takes requests from its node's queue (see :mod:`smartredis.wire.inference`), reads input
tensors from whichever node holds them, runs the model, writes the outputs and answers on
the request's reply list. Models are loaded when they are set and kept until replaced or
deleted. Calls to a model with ``batch_size`` > 0 that arrive together are run as one batch.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
import typing as t
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from smartredis.wire import (
    Address,
    ClusterRouter,
    Connection,
    RetryPolicy,
    Router,
    StandaloneRouter,
    TensorStore,
    inference,
)
from smartredis.wire import tensor as tensor_format
from smartsim._core.inference import backends

HEARTBEAT_EVERY = 3.0
"""Seconds between refreshes of the heartbeat key (which expires after ALIVE_SECONDS)."""
IDLE_WAIT = 1.0
"""Seconds a BLPOP on the queue waits before the loop refreshes the heartbeat."""


def _text(value: t.Any) -> str:
    return bytes(value).decode() if value is not None else ""


@dataclass
class Stats:
    """Run statistics of one model or script, as AI.INFO reports them."""

    duration_us: int = 0
    samples: int = 0
    calls: int = 0
    errors: int = 0


@dataclass
class Loaded:
    """A model or script held in memory, with its options and statistics."""

    kind: str
    options: dict[str, str]
    runner: t.Any
    stats: Stats = field(default_factory=Stats)

    def option(self, name: str, default: int = 0) -> int:
        """An integer option (batch sizes, timeout)."""
        raw = self.options.get(name, "")
        return int(raw) if raw else default


class Worker:
    """One node's worker: a request loop over one connection to its own node."""

    def __init__(self, address: str, cluster: bool) -> None:
        self.address = Address.parse(address)
        self.own = Connection(self.address, timeout=30)
        self.cluster = cluster
        self.loaded: dict[str, Loaded] = {}
        self.backlog: deque[dict[str, t.Any]] = deque()
        self.data: TensorStore | None = None
        self.tag = ""

    # -- start-up -----------------------------------------------------------------------------
    def connect(self) -> None:
        """Wait for the node (and its cluster) to be ready; learn this node's queue tag."""
        while True:
            try:
                if not self.cluster:
                    self.own.execute("PING")
                    server: Router = StandaloneRouter(self.address, RetryPolicy(), _quiet)
                    self.tag = inference.queue_tag(lambda slot: True)
                    break
                info = _text(self.own.execute("CLUSTER", "INFO"))
                if "cluster_state:ok" in info:
                    slots = self._own_slots()
                    if slots:
                        server = ClusterRouter([self.address], RetryPolicy(), _quiet)
                        self.tag = inference.queue_tag(slots.__contains__)
                        break
            except OSError:
                self.own.close()
            time.sleep(0.05)
        self.data = TensorStore(server)

    def _own_slots(self) -> set[int]:
        slots: set[int] = set()
        for line in _text(self.own.execute("CLUSTER", "NODES")).splitlines():
            fields = line.split()
            if len(fields) > 8 and "myself" in fields[2]:
                for spec in fields[8:]:
                    if spec.startswith("["):
                        continue  # a slot being migrated
                    first, _, last = spec.partition("-")
                    slots.update(range(int(first), int(last or first) + 1))
        return slots

    # -- the loop -----------------------------------------------------------------------------
    def serve(self) -> None:
        """Answer requests until the node goes away."""
        queue = inference.queue_key(self.tag)
        beat = 0.0
        while True:
            now = time.monotonic()
            if now - beat > HEARTBEAT_EVERY:
                self.own.execute(
                    "SET", inference.alive_key(self.tag), "1", "EX", inference.ALIVE_SECONDS
                )
                beat = now
            request = self._next_request(queue, IDLE_WAIT)
            if request is not None:
                self.handle(request, queue)

    def _next_request(self, queue: str, wait: float) -> dict[str, t.Any] | None:
        if self.backlog:
            return self.backlog.popleft()
        reply = self.own.execute("BLPOP", queue, wait) if wait > 0 else None
        if wait <= 0:
            raw = self.own.execute("LPOP", queue)
            reply = [queue, raw] if raw is not None else None
        if reply is None:
            return None
        try:
            return inference.decode_request(t.cast(list, reply)[1])
        except ValueError:
            return None

    def answer(self, request: dict[str, t.Any], error: str | None = None, **result: t.Any) -> None:
        """Push the answer to the request's reply list (which expires if nobody reads it)."""
        reply = request["reply"]
        self.own.pipeline(
            [
                ("RPUSH", reply, inference.encode_reply(error, **result)),
                ("EXPIRE", reply, inference.REPLY_EXPIRE_SECONDS),
            ]
        )

    def handle(self, request: dict[str, t.Any], queue: str) -> None:
        """Carry out one request (and any batched with it); every request gets an answer."""
        op = request["op"]
        try:
            if op == "load":
                self.load(request["key"])
                self.answer(request)
            elif op == "unload":
                self.loaded.pop(request["key"], None)
                self.answer(request)
            elif op == "info":
                self.answer(request, info=self.info(request["key"], bool(request.get("reset"))))
            elif op == "run_script":
                self.run_script(request)
            elif op == "run_model":
                self.run_model(request, queue)
            else:
                self.answer(request, f"unknown inference request {op!r}")
        except Exception as exc:  # every failure goes back to the caller
            self.answer(request, _describe(exc))

    # -- models -------------------------------------------------------------------------------
    def load(self, key: str) -> Loaded:
        """(Re)load the model or script stored at ``key`` on this node."""
        items = t.cast(list, self.own.execute("HGETALL", key)) or []
        fields = {_text(items[i]): items[i + 1] for i in range(0, len(items), 2)}
        kind = _text(fields.get(inference.F_KIND))
        options = {
            name: _text(value)
            for name, value in fields.items()
            if not name.startswith("blob:") and name != inference.F_SOURCE
        }
        device = options.get(inference.F_DEVICE, "CPU")
        if kind == inference.KIND_MODEL:
            blob = b"".join(
                bytes(fields[inference.blob_field(i)])
                for i in range(int(options[inference.F_CHUNKS]))
            )
            runner = backends.load_model(
                options[inference.F_BACKEND],
                blob,
                device,
                [n for n in options.get(inference.F_INPUTS, "").split(",") if n],
                [n for n in options.get(inference.F_OUTPUTS, "").split(",") if n],
            )
        elif kind == inference.KIND_SCRIPT:
            runner = backends.TorchScript(_text(fields[inference.F_SOURCE]), device)
        else:
            raise KeyError(f"no model or script is stored under {key!r}")
        loaded = Loaded(kind, options, runner)
        self.loaded[key] = loaded
        return loaded

    def _get(self, key: str, kind: str) -> Loaded:
        """The loaded object at ``key``, reloaded if it was stored anew or is not in memory."""
        version = self.own.execute("HGET", key, inference.F_VERSION)
        if version is None:
            self.loaded.pop(key, None)
            raise KeyError(f"no {kind} is stored under {key!r}")
        loaded = self.loaded.get(key)
        if loaded is None or loaded.options.get(inference.F_VERSION) != _text(version):
            loaded = self.load(key)
        if loaded.kind != kind:
            raise KeyError(f"{key!r} is a {loaded.kind}, not a {kind}")
        return loaded

    def _read(self, keys: list[str]) -> list[np.ndarray]:
        assert self.data is not None
        return [self.data.get(key, key) for key in keys]

    def _write(self, keys: list[str], arrays: list[np.ndarray]) -> None:
        assert self.data is not None
        if len(arrays) != len(keys):
            raise ValueError(f"the call produced {len(arrays)} output(s), {len(keys)} were named")
        for key, array in zip(keys, arrays, strict=True):
            prepared, code = tensor_format.prepare(np.ascontiguousarray(array))
            self.data.put(key, prepared, code)

    def run_script(self, request: dict[str, t.Any]) -> None:
        """Call a script function on the request's inputs."""
        loaded = self._get(request["key"], inference.KIND_SCRIPT)
        inputs = self._read(request["inputs"])
        outputs = self._timed(loaded, 1, lambda: loaded.runner.call(request["fn"], inputs))
        self._write(request["outputs"], outputs)
        self.answer(request)

    def run_model(self, request: dict[str, t.Any], queue: str) -> None:
        """Run a model, batching other calls to it that are waiting or arrive in time."""
        loaded = self._get(request["key"], inference.KIND_MODEL)
        batch_size = loaded.option(inference.F_BATCH)
        if batch_size <= 0:
            inputs = self._read(request["inputs"])
            outputs = self._timed(loaded, _samples(inputs), lambda: loaded.runner(inputs))
            self._write(request["outputs"], outputs)
            self.answer(request)
            return
        batch = self._gather(request, loaded, batch_size, queue)
        self._run_batch(loaded, batch)

    def _gather(
        self, first: dict[str, t.Any], loaded: Loaded, batch_size: int, queue: str
    ) -> list[tuple[dict[str, t.Any], list[np.ndarray]]]:
        """Calls to the same model: until batch_size samples, or min_batch_size and no more
        waiting, or min_batch_timeout ms passed. Other requests wait in the backlog."""
        min_size = loaded.option(inference.F_MIN_BATCH)
        timeout_ms = loaded.option(inference.F_MIN_BATCH_TIMEOUT)
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        inputs = self._read(first["inputs"])
        batch = [(first, inputs)]
        samples = _samples(inputs)
        others: list[dict[str, t.Any]] = []
        while samples < batch_size:
            enough = samples >= max(min_size, 1)
            if enough:
                wait = 0.0  # take what is queued already, but do not wait for more
            elif deadline is None:
                wait = IDLE_WAIT  # no timeout: wait for min_batch_size as long as it takes
            else:
                wait = min(deadline - time.monotonic(), IDLE_WAIT)
                if wait <= 0:
                    break  # min_batch_timeout passed: run what there is
            request = self._next_from_queue(queue, wait)
            if request is None:
                if enough:
                    break
                continue
            if request.get("op") == "run_model" and request.get("key") == first["key"]:
                try:
                    more = self._read(request["inputs"])
                except Exception as exc:  # its own inputs are bad: only this call fails
                    self.answer(request, _describe(exc))
                    continue
                if samples + _samples(more) > batch_size:
                    others.append(request)
                    break
                batch.append((request, more))
                samples += _samples(more)
            else:
                others.append(request)
        self.backlog.extend(others)
        return batch

    def _next_from_queue(self, queue: str, wait: float) -> dict[str, t.Any] | None:
        saved, self.backlog = self.backlog, deque()
        try:
            return self._next_request(queue, wait)
        finally:
            self.backlog = saved

    def _run_batch(
        self, loaded: Loaded, batch: list[tuple[dict[str, t.Any], list[np.ndarray]]]
    ) -> None:
        counts = [_samples(inputs) for _, inputs in batch]
        try:
            width = {len(inputs) for _, inputs in batch}
            if len(width) != 1:
                raise ValueError("batched calls give different numbers of inputs")
            joined = [np.concatenate(parts) for parts in zip(*(i for _, i in batch), strict=True)]
            outputs = self._timed(loaded, sum(counts), lambda: loaded.runner(joined))
            bounds = np.cumsum([0, *counts])
            for index, (request, _) in enumerate(batch):
                part = [out[bounds[index] : bounds[index + 1]] for out in outputs]
                self._write(request["outputs"], part)
                self.answer(request)
        except Exception as exc:
            for request, _ in batch:
                self.answer(request, _describe(exc))

    def _timed(self, loaded: Loaded, samples: int, call: t.Callable[[], t.Any]) -> t.Any:
        start = time.perf_counter()
        try:
            result = call()
        except Exception:
            loaded.stats.errors += 1
            raise
        finally:
            loaded.stats.calls += 1
            loaded.stats.samples += samples
            loaded.stats.duration_us += int((time.perf_counter() - start) * 1e6)
        return result

    def info(self, key: str, reset: bool) -> dict[str, t.Any]:
        """AI.INFO-style statistics of a model or script (loading it if needed)."""
        loaded = self.loaded.get(key) or self.load(key)
        stats = loaded.stats
        result = {
            "key": key,
            "type": "MODEL" if loaded.kind == inference.KIND_MODEL else "SCRIPT",
            "backend": loaded.options.get(inference.F_BACKEND, "TORCH"),
            "device": loaded.options.get(inference.F_DEVICE, "CPU"),
            "tag": loaded.options.get(inference.F_TAG, ""),
            "duration": stats.duration_us,
            "samples": stats.samples,
            "calls": stats.calls,
            "errors": stats.errors,
        }
        if reset:
            loaded.stats = Stats()
        return result


def _samples(inputs: list[np.ndarray]) -> int:
    """The batch dimension of a call: the first input's first axis (1 for a scalar)."""
    return int(inputs[0].shape[0]) if inputs and inputs[0].ndim else 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return f"{type(exc).__name__}: {exc}".strip()


def _quiet(level: int, message: str) -> None:
    """The worker's data connections log nothing of their own."""


def main(argv: list[str] | None = None) -> int:
    """Run the worker until its node goes away."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True, help="host:port or unix:///path of the node")
    parser.add_argument("--cluster", action="store_true", help="the node is in a cluster")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: cleanly
    worker = Worker(args.address, args.cluster)
    try:
        worker.connect()
        worker.serve()
    except (OSError, ConnectionError) as exc:
        print(f"inference worker of {args.address}: the node went away ({exc})", file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        return 0
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
