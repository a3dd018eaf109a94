"""ML models and scripts attached to entities, stored in a database before the entities run.

Objects are stored under their own names (no prefix), once per database even when several
members of an ensemble share them, through a SmartRedis client as a program would.
For a colocated database, which only exists once the model runs, the objects are written to a
spec file that the colocated entrypoint loads after its server starts.
"""

from __future__ import annotations

import json
import os
import typing as t

from smartredis import Client, ConfigOptions
from smartredis.wire.connection import PASSWORD_ENV
from smartsim.entity import DBModel, DBScript, Model

DBObject = DBModel | DBScript


def attached_objects(models: t.Iterable[Model]) -> list[DBObject]:
    """The distinct DB objects of these models (an ensemble's shared ones once)."""
    seen: dict[int, DBObject] = {}
    for model in models:
        objs: list[DBObject] = [*model.db_models, *model.db_scripts]
        for obj in objs:
            seen.setdefault(id(obj), obj)
    return list(seen.values())


def store(client: Client, obj: DBObject) -> None:
    """Store one object through ``client``, once per device it is meant for."""
    if isinstance(obj, DBModel):
        blob = obj.model if obj.model is not None else obj.file.read_bytes()  # type: ignore[union-attr]
        for name, device in _placements(obj):
            client.set_model(
                name,
                blob,
                obj.backend,
                device,
                obj.batch_size,
                obj.min_batch_size,
                obj.min_batch_timeout,
                obj.tag,
                obj.inputs or None,
                obj.outputs or None,
            )
    else:
        source = obj.source()
        for name, device in _placements(obj):
            client.set_script(name, source, device)


def _placements(obj: DBObject) -> list[tuple[str, str]]:
    """(key, device) pairs: the name itself, or ``name.GPU:<n>`` per GPU when there are several."""
    devices = obj.enumerate_devices()
    if len(devices) == 1:
        return [(obj.name, devices[0])]
    return [(f"{obj.name}.{device}", device) for device in devices]


def connect_client(addresses: list[str], clustered: bool, password: str = "") -> Client:
    """A client of the database at ``addresses`` that authenticates with ``password`` (""
    for none), whatever this process's environment says."""
    options = ConfigOptions.create_from_environment("")
    options.override_string_option("SSDB", ",".join(addresses))
    options.override_string_option("SR_DB_TYPE", "Clustered" if clustered else "Standalone")
    options.override_string_option(PASSWORD_ENV, password)
    return Client(options)


def store_all(
    objects: list[DBObject], addresses: list[str], clustered: bool, password: str = ""
) -> None:
    """Store every object in the database at ``addresses``."""
    if not objects:
        return
    client = connect_client(addresses, clustered, password)
    for obj in objects:
        store(client, obj)


def write_spec(objects: list[DBObject], directory: str, name: str) -> str:
    """Save the objects for a colocated entrypoint to load; the spec file's path."""
    os.makedirs(directory, exist_ok=True)
    entries = []
    for index, obj in enumerate(objects):
        placement = {
            "name": obj.name,
            "device": obj.device,
            "devices_per_node": obj.devices_per_node,
            "first_device": obj.first_device,
        }
        if isinstance(obj, DBModel):
            path = str(obj.file) if obj.file else os.path.join(directory, f"{name}-model-{index}")
            if not obj.file:
                with open(path, "wb") as out:
                    out.write(t.cast(bytes, obj.model))
            entry = {
                "kind": "model",
                "backend": obj.backend,
                "model_file": path,
                "batch_size": obj.batch_size,
                "min_batch_size": obj.min_batch_size,
                "min_batch_timeout": obj.min_batch_timeout,
                "tag": obj.tag,
                "inputs": obj.inputs,
                "outputs": obj.outputs,
                **placement,
            }
        else:
            entry = {"kind": "script", "script": obj.source(), **placement}
        entries.append(entry)
    spec = os.path.join(directory, f"{name}-db-objects.json")
    with open(spec, "w", encoding="utf-8") as out:
        json.dump(entries, out)
    return spec


def read_spec(spec_path: str) -> list[DBObject]:
    """The objects saved by :func:`write_spec`."""
    with open(spec_path, encoding="utf-8") as handle:
        entries = json.load(handle)
    objects: list[DBObject] = []
    for entry in entries:
        kind = entry.pop("kind")
        objects.append(DBModel(**entry) if kind == "model" else DBScript(**entry))
    return objects
