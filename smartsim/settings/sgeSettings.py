"""Sun/Son of Grid Engine ``qsub`` batch settings.

Options follow ``man qsub`` of Grid Engine: ``-pe <type> <slots>`` for a parallel
environment, ``-l name=value`` resources (``h_rt`` is the wall time), ``-ac/-sc/-dc`` context
variables and ``-v NAME=value`` environment variables.
"""

from __future__ import annotations

import typing as t

from smartsim.error import LauncherUnsupportedFeature, SSConfigError
from smartsim.settings.base import BatchSettings
from smartsim.settings.pbsSettings import ResourceValue, check_resources

__all__ = ["SgeQsubBatchSettings"]


class SgeQsubBatchSettings(BatchSettings):
    """Submit a batch job with Grid Engine ``qsub``.

    Grid Engine has no node count: ask for slots in a parallel environment instead
    (``ncpus`` and ``pe_type`` together).

    :param time: wall time, HH:MM:SS (the ``h_rt`` resource)
    :param ncpus: number of slots of the parallel environment
    :param pe_type: parallel environment, e.g. ``mpi`` or ``smp``
    :param account: account (``-A``)
    :param shebang: first line of the batch script
    :param resources: ``-l`` resources
    :param batch_args: other qsub options without dashes; each needs a value
    """

    directive_prefix: t.ClassVar[str] = "#$"

    def __init__(
        self,
        time: str | None = None,
        ncpus: int | None = None,
        pe_type: str | None = None,
        account: str | None = None,
        shebang: str = "#!/bin/bash -l",
        resources: dict[str, ResourceValue] | None = None,
        batch_args: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        # The factory passes nodes=1 by default; Grid Engine has no node count, so drop it.
        if "nodes" in kwargs:
            kwargs["nodes"] = 0
        self.resources = resources or {}
        self._context_variables: list[str] = []
        self._env_vars: dict[str, str] = {}
        if ncpus:
            self.set_ncpus(ncpus)
        if pe_type:
            self.set_pe_type(pe_type)
        self.set_shebang(shebang)
        super().__init__("qsub", batch_args=batch_args, account=account, time=time, **kwargs)

    @property
    def resources(self) -> dict[str, ResourceValue]:
        """A copy of the ``-l`` resources (plus ``ncpus``/``pe_type``, rendered as ``-pe``)."""
        return self._resources.copy()

    @resources.setter
    def resources(self, resources: dict[str, ResourceValue]) -> None:
        check_resources(resources)
        self._resources = dict(resources)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Not supported by Grid Engine batch jobs.

        :raises LauncherUnsupportedFeature: always
        """
        raise LauncherUnsupportedFeature(
            f"SGE does not support requesting specific hosts in batch jobs (got {host_list!r})"
        )

    def set_queue(self, queue: str) -> None:
        """Not supported (as in SmartSim 0.8).

        :raises LauncherUnsupportedFeature: always
        """
        raise LauncherUnsupportedFeature(f"SGE does not support specifying queues (got {queue!r})")

    def set_shebang(self, shebang: str) -> None:
        """Set the first line of the batch script, e.g. ``#!/bin/bash -l``."""
        self.shebang = shebang

    def set_walltime(self, walltime: str) -> None:
        """Set the ``h_rt`` resource (``-l h_rt=HH:MM:SS``)."""
        if walltime:
            self.set_resource("h_rt", walltime)

    def set_nodes(self, num_nodes: int | None) -> None:
        """Grid Engine has no node count; only 0 or None is accepted.

        :raises LauncherUnsupportedFeature: any other number
        """
        if num_nodes:
            raise LauncherUnsupportedFeature(
                f"SGE does not support setting the number of nodes (got {num_nodes}); "
                "use set_ncpus and set_pe_type"
            )

    def set_ncpus(self, num_cpus: int | str) -> None:
        """Set the slots of the parallel environment (``-pe <type> N``)."""
        self.set_resource("ncpus", int(num_cpus))

    def set_ngpus(self, num_gpus: int | str) -> None:
        """Set the ``gpu`` resource."""
        self.set_resource("gpu", num_gpus)

    def set_account(self, account: str) -> None:
        """Set ``-A``."""
        if account:
            self.batch_args["A"] = str(account)

    def set_project(self, project: str) -> None:
        """Set ``-P``."""
        if project:
            self.batch_args["P"] = str(project)

    def update_context_variables(
        self,
        action: t.Literal["ac", "sc", "dc"],
        var_name: str,
        value: int | str | None = None,
    ) -> None:
        """Add (``ac``), set (``sc``) or delete (``dc``) a context variable; order is kept.

        :raises ValueError: an unknown action
        :raises SSConfigError: a value given with ``dc``
        """
        if action not in ("ac", "sc", "dc"):
            raise ValueError(f"The action argument must be ac, sc, or dc, got {action!r}")
        if action == "dc" and value:
            raise SSConfigError(
                f"When using the 'dc' action, value should not be set (got {value!r})"
            )
        command = f"-{action} {var_name}"
        if value:
            command += f"={value}"
        self._context_variables.append(command)

    def set_hyperthreading(self, enable: bool = True) -> None:
        """Set the ``threads`` resource to 1 (enable) or 0 (disable)."""
        self.set_resource("threads", int(enable))

    def set_memory_per_pe(self, memory_spec: str) -> None:
        """Set the ``mem`` resource, e.g. ``2G``."""
        self.set_resource("mem", memory_spec)

    def set_pe_type(self, pe_type: str) -> None:
        """Set the parallel environment (``-pe <type> N``)."""
        if pe_type:
            self.set_resource("pe_type", pe_type)

    def set_threads_per_pe(self, threads_per_core: int) -> None:
        """Export ``OMP_NUM_THREADS`` to the job (``-v OMP_NUM_THREADS=N``)."""
        self._env_vars["OMP_NUM_THREADS"] = str(threads_per_core)

    def set_resource(self, resource_name: str, value: str | int) -> None:
        """Set one ``-l`` resource.

        :raises TypeError: a value that is not str or int
        """
        updated = self.resources
        updated[resource_name] = value
        self.resources = updated

    def _create_resource_list(self) -> list[str]:
        """The ``-pe``, context variable, ``-l`` and ``-v`` directives, in that order."""
        check_resources(self._resources)
        resources = self.resources
        ncpus = resources.pop("ncpus", None)
        pe_type = resources.pop("pe_type", None)
        if (pe_type is None and ncpus) or (pe_type and ncpus is None):
            raise SSConfigError(
                f"ncpus={ncpus!r} and pe_type={pe_type!r} must both be set. "
                "Call set_ncpus and/or set_pe_type."
            )
        formatted = [f"-pe {pe_type} {ncpus}"] if pe_type and ncpus else []
        formatted += self._context_variables
        formatted += [f"-l {name}={value}" for name, value in resources.items()]
        formatted += [f"-v {name}={value}" for name, value in self._env_vars.items()]
        return formatted

    def format_batch_args(self) -> list[str]:
        """See base.

        :raises ValueError: a batch argument without a value
        :raises SSConfigError: only one of ncpus and pe_type was given
        """
        formatted = self._create_resource_list()
        for name, value in self.batch_args.items():
            if value is None or value == "":
                raise ValueError(
                    f"SGE options without values are not allowed: batch argument {name!r}"
                )
            formatted.append(f"-{name} {value}")
        return formatted

    def _job_directives(self, job_name: str, output: str, error: str) -> list[str]:
        # -V exports the submitting environment, as SmartSim's SGE scripts do.
        return [f"-o {output}", f"-e {error}", f"-N {job_name}", "-V"]

    def render_script(
        self,
        job_name: str,
        output: str,
        error: str,
        commands: list[list[str]],
        shebang: str | None = None,
    ) -> str:
        """See base; the shebang defaults to this job's ``shebang`` (``#!/bin/bash -l``)."""
        return super().render_script(
            job_name, output, error, commands, shebang=shebang or self.shebang
        )
