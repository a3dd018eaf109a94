"""DBNode: one launched job of an Orchestrator, running one shard or, as one MPMD command,
several (SmartSim's ``single_cmd``)."""

from __future__ import annotations

import os
import typing as t

from smartsim.entity.entity import SmartSimEntity
from smartsim.error import SSDBFilesNotParseable

if t.TYPE_CHECKING:
    from smartsim.settings.base import RunSettings


class DBNode(SmartSimEntity):
    """A database job: its shards' ports and, once launched, the hosts they listen on.

    :param ports: one port per shard the node runs (several shards: one MPMD command)
    :param output_files: names (in ``path``) of the files the shards write (default:
        ``<name>.out``, or ``<name>_<i>.out`` per shard of an MPMD node)
    :param db_identifier: the database the node belongs to
    """

    def __init__(
        self,
        name: str,
        path: str,
        run_settings: RunSettings | None,
        ports: list[int],
        output_files: list[str] | None = None,
        db_identifier: str = "",
    ) -> None:
        super().__init__(name, path, run_settings)
        if not ports:
            raise ValueError("ports cannot be empty")
        self.ports = [int(port) for port in ports]
        if not output_files:  # an MPMD node's shards each write their own file
            many = len(ports) > 1
            output_files = [f"{name}_{i}.out" for i in range(len(ports))] if many else None
        self._output_files = list(output_files or [f"{name}.out"])
        if not all(isinstance(item, str) for item in self._output_files):
            raise ValueError("output_files must be of type list[str]")
        self.db_identifier = db_identifier
        self._shard_hosts: list[list[str]] = []
        """Per shard, the addresses it listens on (empty until launched or set)."""

    @property
    def num_shards(self) -> int:
        """Number of shards this node starts (more than one when launched as MPMD)."""
        return len(self.ports)

    @property
    def is_mpmd(self) -> bool:
        """Whether the node starts several shards with one (MPMD) command."""
        return self.num_shards > 1

    @property
    def shard_names(self) -> list[str]:
        """The names of the node's shards: the node's own, or ``<db_identifier>_<i>`` for
        the shards of an MPMD node (as SmartSim names them)."""
        if not self.is_mpmd:
            return [self.name]
        prefix = self.db_identifier or self.name.rsplit("_", 1)[0]
        return [f"{prefix}_{i}" for i in range(self.num_shards)]

    @property
    def output_files(self) -> list[str]:
        """Paths of the files the node's shards write their output to."""
        return [os.path.join(self.path, name) for name in self._output_files]

    @property
    def hosts(self) -> list[str]:
        """The distinct hosts (addresses) the node's shards listen on, once launched.

        :raises SSDBFilesNotParseable: the node has not been launched, so no shard has said
            where it listens
        """
        found = list(dict.fromkeys(host for hosts in self._shard_hosts for host in hosts))
        if not found:
            raise SSDBFilesNotParseable(
                f"Failed to parse the launched DB shard information of {self.name}: found the "
                f"information for 0 out of {self.num_shards} DB shards (not launched yet?)"
            )
        return found

    @property
    def host(self) -> str:
        """The one host of the node.

        :raises SSDBFilesNotParseable: the node has not been launched
        :raises ValueError: its shards listen on several hosts
        """
        hosts = self.hosts
        if len(hosts) > 1:
            raise ValueError(f"Multiple hosts detected for this DB Node: {', '.join(hosts)}")
        return hosts[0]

    def set_hosts(self, hosts: list[str]) -> None:
        """Record where the node's shards run: one host per shard when there are as many,
        else every shard on all of them (one shard listening on several addresses)."""
        names = [str(host) for host in hosts]
        if len(names) == self.num_shards:
            self._shard_hosts = [[name] for name in names]
        else:
            self._shard_hosts = [list(names) for _ in range(self.num_shards)]

    def set_shard_hosts(self, shard_hosts: list[list[str]]) -> None:
        """Record the addresses each shard listens on, in shard order (learnt at launch)."""
        if len(shard_hosts) != self.num_shards:
            raise ValueError(
                f"{self.name} runs {self.num_shards} shard(s), got hosts for {len(shard_hosts)}"
            )
        self._shard_hosts = [[str(host) for host in hosts] for hosts in shard_hosts]

    def clear_hosts(self) -> None:
        """Forget where the shards ran (before launching the node again)."""
        self._shard_hosts = []

    @property
    def launched(self) -> bool:
        """Whether every shard's address is known."""
        return len(self._shard_hosts) == self.num_shards and all(self._shard_hosts)

    @property
    def shard_hosts(self) -> list[list[str]]:
        """Per shard, the addresses it listens on (empty lists until launched)."""
        if not self._shard_hosts:
            return [[] for _ in range(self.num_shards)]
        return [list(hosts) for hosts in self._shard_hosts]

    @property
    def addresses(self) -> list[str]:
        """``host:port`` of each shard that clients use, once launched.

        :raises ValueError: the node has not been launched
        """
        if not self.launched:
            raise ValueError(f"Database node {self.name} has not been launched")
        pairs = zip(self._shard_hosts, self.ports, strict=True)
        return [f"{hosts[0]}:{port}" for hosts, port in pairs]

    @property
    def address(self) -> str:
        """``host:port`` of the node's first shard, once launched."""
        return self.addresses[0]
