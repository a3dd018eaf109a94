"""Under a scheduler, an MPI run command's ranks are spread over the allocation's nodes: the
colocated database's wrapper runs inside mpirun, once per rank, so that each node gets its
own database (seen on the 3-node Slurm: wrapping mpirun put one database on the driver's
host, which the ranks could not reach). A plain command is still wrapped whole."""

from __future__ import annotations

from smartsim._core.launcher.slurm.launcher import SlurmLauncher
from smartsim.settings import MpirunSettings, RunSettings

WRAPPER = ["python", "-m", "colo", "--"]


def test_the_wrapper_goes_inside_mpirun_before_the_executable():
    rs = MpirunSettings("/bin/true", ["a"], run_args={"npernode": 1})
    rs.set_tasks(3)
    argv = SlurmLauncher(lambda *a: None).argv(rs, "/w", WRAPPER)
    head = [rs.run_command, *rs.format_run_args()]
    assert argv == [*head, *WRAPPER, "/bin/true", "a"]


def test_a_plain_command_is_wrapped_whole():
    rs = RunSettings("/bin/true", ["a"])
    assert SlurmLauncher(lambda *a: None).argv(rs, "/w", WRAPPER) == [*WRAPPER, "/bin/true", "a"]
