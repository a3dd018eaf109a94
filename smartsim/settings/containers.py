"""Containers that an executable can run in (Singularity/Apptainer)."""

from __future__ import annotations

import shlex

MountSpec = str | list[str] | dict[str, str | None]


class Container:
    """An image to run the executable in, with extra arguments, bind mounts and a workdir.

    :param image: image name or path
    :param args: extra arguments for the container runtime (string or list)
    :param mount: paths to bind: a path, a list of paths, or a dict source -> target
    :param working_directory: directory to run in inside the container
    """

    def __init__(
        self,
        image: str,
        args: str | list[str] = "",
        mount: MountSpec = "",
        working_directory: str = "",
    ) -> None:
        if not isinstance(image, str):
            raise TypeError("image must be a str")
        if not isinstance(args, (str, list)):
            raise TypeError("args must be a str or a list of str")
        if not isinstance(mount, (str, list, dict)):
            raise TypeError("mount must be a str, a list of str or a dict of str")
        if not isinstance(working_directory, str):
            raise TypeError("working_directory must be a str")
        self.image = image
        self.args = args
        self.mount = mount
        self.working_directory = working_directory

    def _args_list(self) -> list[str]:
        return shlex.split(self.args) if isinstance(self.args, str) else list(self.args)

    def _bind_specs(self, default_working_directory: str = "") -> list[str]:
        if isinstance(self.mount, str):
            binds = [self.mount] if self.mount else []
        elif isinstance(self.mount, list):
            binds = list(self.mount)
        else:
            binds = [f"{src}:{dst}" if dst else src for src, dst in self.mount.items()]
        if default_working_directory and not self.working_directory:
            binds.append(default_working_directory)
        return binds

    def container_cmds(self, default_working_directory: str = "") -> list[str]:
        """The argv that goes before the executable to run it in this container."""
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{type(self).__name__}(image={self.image!r})"


class Singularity(Container):
    """A Singularity/Apptainer container: ``singularity exec [args] --bind ... image``."""

    def container_cmds(self, default_working_directory: str = "") -> list[str]:
        """See base."""
        argv = ["singularity", "exec", *self._args_list()]
        if self.working_directory:
            argv += ["--pwd", self.working_directory]
        binds = self._bind_specs(default_working_directory)
        if binds:
            argv += ["--bind", ",".join(binds)]
        argv.append(self.image)
        return argv
