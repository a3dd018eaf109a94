"""The database checkpoint file: what a later driver needs to reconnect to a running database.

JSON in ``<db path>/smartsim_db.dat``: identifier, DBNodes (name, each shard's addresses and
port, job id), launcher, and the database's password when it has one; the file is readable by
its owner only. Format 1 (one shard per node) is still read.
"""

from __future__ import annotations

import json
import os

from smartsim.database import Orchestrator
from smartsim.database.orchestrator import CHECKPOINT_NAME
from smartsim.entity.dbnode import DBNode
from smartsim.error import SmartSimError

FORMAT_VERSION = 2
__all__ = ["CHECKPOINT_NAME", "live_database", "read", "remove", "write"]


def write(db: Orchestrator, job_ids: list[str], launcher: str) -> None:
    """Record a database that just became ready."""
    record = {
        "format": FORMAT_VERSION,
        "db_identifier": db.db_identifier,
        "path": db.path,
        "port": db.port,
        "interfaces": db.interfaces,
        "launcher": launcher,
        "password": db.password or "",
        "shards": [
            {
                "name": node.name,
                "shard_hosts": node.shard_hosts,
                "ports": node.ports,
                "job_id": job_id,
            }
            for node, job_id in zip(db.entities, job_ids, strict=True)
        ],
    }
    tmp = f"{db.checkpoint_file}.tmp"
    try:
        os.remove(tmp)  # one left by a crash may have other permissions
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        json.dump(record, out, indent=2)
    os.replace(tmp, db.checkpoint_file)


def remove(db: Orchestrator) -> None:
    """Delete the checkpoint of a database that was stopped."""
    try:
        os.remove(db.checkpoint_file)
    except FileNotFoundError:
        pass


def read(path: str) -> tuple[Orchestrator, list[str], str]:
    """The database recorded in ``path``, its shards' job ids and its launcher's name.

    :raises SmartSimError: the file is missing or not a checkpoint of this library
    """
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
        shards = record["shards"]
        nodes = []
        for saved in shards:
            ports = [int(port) for port in saved.get("ports") or [saved["port"]]]
            hosts = saved["shard_hosts"] if "shard_hosts" in saved else [saved["hosts"]]
            db_id = str(record["db_identifier"])
            nodes.append(DBNode(str(saved["name"]), str(record["path"]), None, ports, None, db_id))
            nodes[-1].set_shard_hosts([list(h) for h in hosts])
        db = Orchestrator(
            path=record["path"],
            port=int(record["port"]),
            interface=record["interfaces"],
            launcher="local",  # the shards already run: these settings are never launched
            db_nodes=sum(node.num_shards for node in nodes),
            db_identifier=record["db_identifier"],
            password=bool(record.get("password")),
        )
        db._password = str(record.get("password") or "")
        db.entities = nodes
        return db, [str(s["job_id"]) for s in shards], str(record["launcher"])
    except FileNotFoundError:
        raise SmartSimError(f"Database checkpoint {path!r} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SmartSimError(f"{path!r} is not a readable database checkpoint: {exc}") from exc


def live_database(path: str) -> str | None:
    """The identifier of the database recorded in ``path`` if it still answers, else None."""
    try:
        db = read(path)[0]
    except SmartSimError:
        return None
    return db.db_identifier if db.is_active() else None
