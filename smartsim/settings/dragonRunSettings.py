"""Run settings for the Dragon launcher, which starts processes itself (no run command).

The Dragon launcher reads the recorded values from ``run_args``: ``nodes``,
``tasks-per-node``, ``cpu-affinity``, ``gpu-affinity`` and ``node-feature``.
"""

from __future__ import annotations

import typing as t

from smartsim.log import get_logger
from smartsim.settings.base import RunSettings

logger = get_logger(__name__)

__all__ = ["DragonRunSettings"]


class DragonRunSettings(RunSettings):
    """Run an executable as a Dragon process.

    :param exe: executable
    :param exe_args: executable arguments
    :param env_vars: environment variables for the process
    """

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(exe, exe_args, run_command="", env_vars=env_vars, **kwargs)

    def set_nodes(self, nodes: int) -> None:
        """Record the number of nodes."""
        self.run_args["nodes"] = nodes

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Record the number of tasks per node."""
        self.run_args["tasks-per-node"] = tasks_per_node

    def set_node_feature(self, feature_list: str | list[str]) -> None:
        """Record required node features (Dragon knows ``gpu``).

        :param feature_list: features as a list, or a str split on white space
        """
        if isinstance(feature_list, str):
            feature_list = feature_list.strip().split()
        elif not isinstance(feature_list, list) or not all(
            isinstance(feature, str) for feature in feature_list
        ):
            raise TypeError(f"feature_list must be a str or a list of str, got {feature_list!r}")
        self.run_args["node-feature"] = ",".join(feature_list)

    def set_cpu_affinity(self, devices: list[int]) -> None:
        """Record the CPU indices to run on."""
        self.run_args["cpu-affinity"] = ",".join(str(device) for device in devices)

    def set_gpu_affinity(self, devices: list[int]) -> None:
        """Record the GPU indices to run on."""
        self.run_args["gpu-affinity"] = ",".join(str(device) for device in devices)
