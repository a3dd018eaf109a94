"""PBS Pro ``qsub`` batch settings.

Resources become ``-l`` directives (see qsub in the PBS Professional Reference Guide): the
chunk statement ``-l select=N`` or ``-l nodes=N``, extended with ``:ncpus=C`` and
``:host=a+host=b``, then one ``-l name=value`` per other resource (walltime, place, ...).
"""

from __future__ import annotations

import typing as t

from smartsim.error import SSConfigError
from smartsim.settings.base import BatchSettings, as_host_list

__all__ = ["QsubBatchSettings"]

ResourceValue = str | int


def check_resources(resources: t.Mapping[t.Any, t.Any]) -> None:
    """Check that resource names are str and values str or int.

    :raises TypeError: a name or value of another type
    """
    for key, value in resources.items():
        if not isinstance(key, str):
            raise TypeError(f"Resource name {key!r} is a {type(key).__name__}; use a str")
        if not isinstance(value, (str, int)):
            raise TypeError(
                f"The value of resource {key!r} is {value!r} of type {type(value).__name__}; "
                "only int and str are allowed"
            )


class QsubBatchSettings(BatchSettings):
    """Submit a batch job with PBS ``qsub``.

    ``nodes`` and ``ncpus`` build the chunk statement unless ``resources`` holds ``select``.

    :param nodes: number of nodes (the ``nodes`` resource)
    :param ncpus: CPUs per node, appended as ``:ncpus=N``
    :param time: wall time, HH:MM:SS (the ``walltime`` resource)
    :param queue: queue (``-q``)
    :param account: account (``-A``)
    :param resources: ``-l`` resources, e.g. ``{"select": 2, "place": "scatter"}``
    :param batch_args: other qsub options without dashes; each needs a value
    """

    directive_prefix: t.ClassVar[str] = "#PBS"

    def __init__(
        self,
        nodes: int | None = None,
        ncpus: int | None = None,
        time: str | None = None,
        queue: str | None = None,
        account: str | None = None,
        resources: dict[str, ResourceValue] | None = None,
        batch_args: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        self._ncpus = ncpus
        self.resources = resources or {}
        if nodes and self._resources.get("nodes"):
            raise ValueError(
                f"nodes was given both as a parameter ({nodes}) and as a resource "
                f"({self._resources['nodes']}); give it once"
            )
        self._hosts: list[str] = []
        super().__init__(
            "qsub",
            batch_args=batch_args,
            nodes=nodes,
            account=account,
            queue=queue,
            time=time,
            **kwargs,
        )

    @property
    def resources(self) -> dict[str, ResourceValue]:
        """A copy of the ``-l`` resources."""
        return self._resources.copy()

    @resources.setter
    def resources(self, resources: dict[str, ResourceValue]) -> None:
        self._check(resources)
        self._resources = dict(resources)

    @staticmethod
    def _check(resources: t.Mapping[t.Any, t.Any]) -> None:
        """Validate a resource mapping before it is stored."""
        select, nodes = resources.get("select"), resources.get("nodes")
        if select and nodes:
            raise SSConfigError(
                "'select' and 'nodes' cannot both be specified. This can happen if nodes "
                "were specified using the 'set_nodes' method and 'select' was set using "
                "'set_resource'. Please only specify one."
            )
        if select and not isinstance(select, int):
            raise TypeError(f"The value for 'select' must be an int, got {select!r}")
        if nodes and not isinstance(nodes, int):
            raise TypeError(f"The value for 'nodes' must be an int, got {nodes!r}")
        check_resources(resources)

    def set_nodes(self, num_nodes: int) -> None:
        """Set the ``nodes`` resource (``-l nodes=N``)."""
        if num_nodes:
            self.set_resource("nodes", num_nodes)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Ask for these hosts in the chunk statement (``:host=a+host=b``)."""
        self._hosts = as_host_list(host_list)

    def set_walltime(self, walltime: str) -> None:
        """Set the ``walltime`` resource (``-l walltime=HH:MM:SS``)."""
        if walltime:
            self.set_resource("walltime", walltime)

    def set_queue(self, queue: str) -> None:
        """Set ``-q``."""
        if queue:
            self.batch_args["q"] = str(queue)

    def set_ncpus(self, num_cpus: int | str) -> None:
        """Set the CPUs per node of the chunk statement (``:ncpus=N``)."""
        self._ncpus = int(num_cpus)

    def set_account(self, account: str) -> None:
        """Set ``-A``."""
        if account:
            self.batch_args["A"] = str(account)

    def set_resource(self, resource_name: str, value: str | int) -> None:
        """Set one ``-l`` resource, e.g. ``set_resource("place", "scatter")``.

        :raises SSConfigError: both ``select`` and ``nodes`` would be set
        :raises TypeError: a value that is not str or int (int for select/nodes)
        """
        updated = self.resources
        updated[resource_name] = value
        self.resources = updated

    def _create_resource_list(self) -> list[str]:
        """The ``-l`` directives: the chunk statement first, then the other resources."""
        self._check(self._resources)
        resources = self.resources
        select = resources.pop("select", None)
        nodes = resources.pop("nodes", None)
        if select:
            chunk = f"-l select={select}"
        elif nodes:
            chunk = f"-l nodes={nodes}"
        else:
            raise SSConfigError(
                "Insufficient resource specification: no nodes or select statement; "
                "call set_nodes or set_resource('select', n)"
            )
        if self._ncpus:
            chunk += f":ncpus={self._ncpus}"
        if self._hosts:
            chunk += ":" + "+".join(f"host={host}" for host in self._hosts)
        return [chunk, *(f"-l {name}={value}" for name, value in resources.items())]

    def format_batch_args(self) -> list[str]:
        """See base.

        :raises ValueError: a batch argument without a value (PBS directives need one)
        :raises SSConfigError: neither nodes nor select was given
        """
        formatted = self._create_resource_list()
        for name, value in self.batch_args.items():
            if value is None or value == "":
                raise ValueError(
                    f"PBS options without values are not allowed: batch argument {name!r}"
                )
            formatted.append(f"-{name} {value}")
        return formatted

    def _job_directives(self, job_name: str, output: str, error: str) -> list[str]:
        # -V exports the submitting environment, as SmartSim's PBS scripts do.
        return [f"-o {output}", f"-e {error}", f"-N {job_name}", "-V"]
