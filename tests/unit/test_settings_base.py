"""RunSettings basics and the batch scripts that BatchSettings.render_script writes."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

from smartsim.error import ExecutableNotFoundError
from smartsim.settings import (
    BsubBatchSettings,
    QsubBatchSettings,
    RunSettings,
    SbatchSettings,
    SgeQsubBatchSettings,
    Singularity,
)
from smartsim.settings import base as base_module
from smartsim.settings.base import as_host_list

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "batch"
REGEN_HINT = (
    "If the change is intended, regenerate the golden files with:\n"
    "  SMARTSIM_REGEN_GOLDEN=1 python -m pytest tests/unit/test_settings_base.py -k golden\n"
    "and review the diff of tests/data/batch/ before committing."
)


@pytest.fixture
def base_log(caplog, monkeypatch):
    """caplog that also sees smartsim.settings.base (whose logger does not propagate)."""
    monkeypatch.setattr(base_module.logger, "propagate", True)
    caplog.set_level(logging.INFO)
    return caplog


# ---- executable and arguments ---------------------------------------------------------


def test_exe_is_resolved_to_absolute_path():
    rs = RunSettings("echo")
    assert rs.exe == [os.path.abspath(shutil.which("echo"))]
    assert rs.run_command is None


def test_exe_given_as_path_is_kept():
    rs = RunSettings(sys.executable)
    assert rs.exe == [os.path.abspath(sys.executable)]


def test_missing_exe_raises_executable_not_found():
    with pytest.raises(ExecutableNotFoundError, match="no-such-program-xyz"):
        RunSettings("no-such-program-xyz")


def test_missing_exe_is_also_file_not_found():
    with pytest.raises(FileNotFoundError):
        RunSettings("no-such-program-xyz")


def test_non_executable_file_raises_permission_error(tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    with pytest.raises(PermissionError):
        RunSettings(str(script))


def test_exe_not_resolved_in_container():
    rs = RunSettings("program-in-image", container=Singularity("image.sif"))
    assert rs.exe == ["program-in-image"]


@pytest.mark.parametrize(
    "exe_args, expected",
    [
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty str"),
        pytest.param("-c 'x'  --flag", ["-c", "'x'", "--flag"], id="str split on spaces"),
        pytest.param(["a b", "c"], ["a b", "c"], id="list kept"),
    ],
)
def test_exe_args_str_or_list(exe_args, expected):
    assert RunSettings("echo", exe_args).exe_args == expected


@pytest.mark.parametrize("bad", [[["nested"]], [1, 2], 5, {"a": 1}])
def test_exe_args_bad_type_raises(bad):
    with pytest.raises(TypeError):
        RunSettings("echo", bad)


def test_exe_args_list_is_copied():
    args = ["a"]
    rs = RunSettings("echo", args)
    args.append("b")
    assert rs.exe_args == ["a"]


def test_add_exe_args():
    rs = RunSettings("echo", "a")
    rs.add_exe_args("b c")
    rs.add_exe_args(["d"])
    assert rs.exe_args == ["a", "b", "c", "d"]
    with pytest.raises(TypeError):
        rs.add_exe_args([1])


def test_run_command_kept_when_not_on_path():
    rs = RunSettings("echo", run_command="not-a-launcher-xyz")
    assert rs.run_command == "not-a-launcher-xyz"


def test_run_command_expanded_when_on_path():
    rs = RunSettings("echo", run_command="env")
    assert rs.run_command == os.path.abspath(shutil.which("env"))


# ---- run args and environment ---------------------------------------------------------


def test_run_args_and_env_vars_are_copied():
    run_args = {"n": 1}
    env = {"A": "1"}
    rs = RunSettings("echo", run_args=run_args, env_vars=env)
    run_args["n"] = 2
    env["A"] = "2"
    assert rs.run_args == {"n": 1}
    assert rs.env_vars == {"A": "1"}


def test_format_run_args_passes_args_literally():
    rs = RunSettings("echo", run_command="launcher", run_args={"-np": "2", "--flag": None})
    assert rs.format_run_args() == ["-np", "2", "--flag"]


def test_format_env_vars():
    rs = RunSettings("echo", env_vars={"A": "1", "B": None})
    assert rs.format_env_vars() == ["A=1", "B="]


def test_update_env_coerces_to_str():
    rs = RunSettings("echo", env_vars={"A": "x"})
    rs.update_env({"A": 1, "B": 2.5, "C": True, "D": "d"})
    assert rs.env_vars == {"A": "1", "B": "2.5", "C": "True", "D": "d"}


@pytest.mark.parametrize("bad", [None, [1], {"x": 1}, object()])
def test_update_env_type_error_names_the_variable(bad):
    rs = RunSettings("echo")
    with pytest.raises(TypeError, match="BAD"):
        rs.update_env({"BAD": bad})


def test_set_strips_dashes_and_sets_flags():
    rs = RunSettings("echo")
    rs.set("--an-arg", "a-val")
    rs.set("a-flag")
    assert rs.run_args == {"an-arg": "a-val", "a-flag": None}


def test_set_condition_false_does_nothing(base_log):
    rs = RunSettings("echo")
    rs.set("partition", "debug", condition=False)
    assert rs.run_args == {}
    assert "condition not met" in base_log.text


def test_set_overwrite_warns(base_log):
    rs = RunSettings("echo")
    rs.set("arg", "1")
    rs.set("arg", "2")
    assert rs.run_args["arg"] == "2"
    assert "Overwriting argument 'arg'" in base_log.text


@pytest.mark.parametrize("arg, value", [(1, None), ("arg", 1), ("arg", ["x"])])
def test_set_type_errors(arg, value):
    with pytest.raises(TypeError):
        RunSettings("echo").set(arg, value)


UNSUPPORTED = [
    ("set_nodes", (2,), "Node"),
    ("set_tasks", (2,), "Task"),
    ("set_tasks_per_node", (2,), "Task per node"),
    ("set_task_map", ("block",), "Task mapping"),
    ("set_cpus_per_task", (2,), "CPU per node"),
    ("set_hostlist", (["n1"],), "Hostlist"),
    ("set_hostlist_from_file", ("hosts.txt",), "Hostlist from file"),
    ("set_excluded_hosts", (["n2"],), "Excluded host list"),
    ("set_cpu_bindings", ([0, 1],), "CPU binding"),
    ("set_memory_per_node", (1000,), "Memory per node"),
    ("set_verbose_launch", (True,), "Verbose"),
    ("set_quiet_launch", (True,), "Quiet"),
    ("set_broadcast", ("/tmp",), "Broadcast"),
    ("set_time", (1, 2, 3), "Walltime"),
    ("set_walltime", ("01:02:03",), "Walltime"),
    ("set_binding", ("core",), "binding"),
    ("set_node_feature", (["gpu"],), "Node feature"),
    ("set_mpmd_preamble", (["echo hi"],), "MPMD preamble"),
]


@pytest.mark.parametrize(("setter", "args", "what"), UNSUPPORTED)
def test_unsupported_setter_warns_in_smartsims_words_and_changes_nothing(
    setter, args, what, base_log
):
    rs = RunSettings("echo", run_args={"kept": "1"})
    getattr(rs, setter)(*args)
    assert rs.run_args == {"kept": "1"}
    warnings = [r for r in base_log.records if r.name == "smartsim.settings.base"]
    assert [(r.levelno, r.getMessage()) for r in warnings] == [
        (
            logging.WARNING,
            f"{what} specification not implemented for this RunSettings type: "
            "<class 'smartsim.settings.base.RunSettings'>",
        )
    ]


def test_plain_run_settings_make_mpmd_warns_and_does_nothing(base_log):
    rs = RunSettings("echo")
    rs.make_mpmd(RunSettings("echo"))
    assert rs.mpmd == []
    assert (
        "Make MPMD specification not implemented for this RunSettings type: "
        "<class 'smartsim.settings.base.RunSettings'>"
    ) in base_log.text


def test_str_of_run_settings_has_smartsims_layout():
    rs = RunSettings("echo", ["a", "b"], run_command="launcher", run_args={"np": 2, "flag": None})
    assert str(rs) == (
        f"Executable: {shutil.which('echo')}\n"
        "Executable Arguments: a b\n"
        "Run Command: launcher\n"
        "Run Arguments:\n"
        "\tnp = 2\n"
        "\tflag = None"
    )
    rs.colocated_db_settings = {"port": 6780}
    assert str(rs).endswith("\tflag = None\nCo-located Database: True")


def test_str_of_run_settings_without_run_command_or_args():
    assert str(RunSettings("echo")) == (
        f"Executable: {shutil.which('echo')}\nExecutable Arguments: "
    )


def test_str_of_batch_settings_has_smartsims_layout():
    bs = SbatchSettings(batch_args={"exclusive": None, "partition": "debug"})
    assert str(bs) == (
        "Batch Command: sbatch\nBatch arguments:\n\texclusive = None\n\tpartition = debug"
    )
    assert str(SbatchSettings()) == "Batch Command: sbatch"


def test_set_time_rejects_non_integers():
    with pytest.raises(ValueError):
        RunSettings("echo").set_time("not an int")


# ---- batch settings -------------------------------------------------------------------


def test_preamble_appends():
    bs = SbatchSettings()
    bs.add_preamble("module load gcc")
    bs.add_preamble(["module load openmpi", "conda activate smartsim"])
    assert list(bs.preamble) == [
        "module load gcc",
        "module load openmpi",
        "conda activate smartsim",
    ]
    with pytest.raises(TypeError):
        bs.add_preamble(1)


def test_batch_args_are_copied():
    batch_args = {"k1": "v1"}
    bs = SbatchSettings(batch_args=batch_args)
    batch_args["k1"] = "changed"
    assert bs.batch_args == {"k1": "v1"}
    bs.batch_args = batch_args
    batch_args["k1"] = "changed again"
    assert bs.batch_args == {"k1": "changed"}


def test_set_batch_command():
    bs = SbatchSettings()
    bs.set_batch_command("my-sbatch-wrapper")
    assert bs.batch_cmd == "my-sbatch-wrapper"


def test_render_script_is_pure():
    bs = BsubBatchSettings(nodes=1, smts=2, batch_args={"alloc_flags": "nvme"})
    before = dict(bs.batch_args)
    first = bs.render_script("j", "j.out", "j.err", [["echo", "hi"]])
    assert bs.batch_args == before
    assert bs.render_script("j", "j.out", "j.err", [["echo", "hi"]]) == first


def test_render_script_without_commands_has_no_wait():
    script = SbatchSettings(nodes=1).render_script("j", "j.out", "j.err", [])
    assert "wait" not in script
    assert script.endswith("#SBATCH --nodes=1\n")


def test_render_script_quotes_commands():
    script = SbatchSettings(nodes=1).render_script("j", "o", "e", [["echo", "a b", "$HOME;x"]])
    assert "echo 'a b' '$HOME;x' &\n" in script


# ---- golden batch scripts -------------------------------------------------------------

STEPS = [
    ["/usr/bin/srun", "--nodes=1", "--export=ALL,A=1", "/usr/bin/python3", "sim.py", "--n", "2"],
    ["/usr/bin/srun", "--nodes=1", "/bin/echo", "a b"],
]


def _sbatch() -> str:
    bs = SbatchSettings(nodes=2, time="01:00:00", account="proj", batch_args={"exclusive": None})
    bs.set_queue("debug")
    bs.add_preamble(["module load python", "export OMP_NUM_THREADS=4"])
    return bs.render_script("ens_0", "/exp/ens_0.out", "/exp/ens_0.err", STEPS)


def _pbs() -> str:
    bs = QsubBatchSettings(ncpus=36, time="02:00:00", queue="workq", account="proj")
    bs.set_resource("select", 4)
    bs.set_resource("place", "scatter")
    bs.set_hostlist(["nid001", "nid002"])
    bs.add_preamble("cd $PBS_O_WORKDIR")
    cmd = ["/usr/bin/aprun", "--pes=4", "/usr/bin/python3", "sim.py"]
    return bs.render_script("db", "/exp/db.out", "/exp/db.err", [cmd])


def _bsub() -> str:
    bs = BsubBatchSettings(
        nodes=3, time="10:00:00", project="A3123", smts=4, batch_args={"alloc_flags": "nvme"}
    )
    bs.set_queue("batch")
    bs.add_preamble("module load cuda")
    cmd = ["/usr/bin/jsrun", "--nrs=3", "/usr/bin/python3", "sim.py"]
    return bs.render_script("model", "/exp/model.out", "/exp/model.err", [cmd])


def _sge() -> str:
    bs = SgeQsubBatchSettings(time="00:30:00", ncpus=16, pe_type="mpi", account="acct")
    bs.update_context_variables("ac", "foo", "bar")
    bs.set_threads_per_pe(2)
    bs.set_project("p1")
    cmd = ["/usr/bin/mpirun", "--n", "16", "/usr/bin/python3", "sim.py"]
    return bs.render_script("sge_job", "/exp/sge_job.out", "/exp/sge_job.err", [cmd])


@pytest.mark.parametrize(
    "name, render",
    [
        pytest.param("sbatch-preamble-two-steps", _sbatch, id="sbatch"),
        pytest.param("pbs-qsub-select-hosts", _pbs, id="pbs"),
        pytest.param("bsub-project-smt", _bsub, id="bsub"),
        pytest.param("sge-qsub-pe-context", _sge, id="sge"),
    ],
)
def test_render_script_golden(name, render):
    path = GOLDEN_DIR / f"{name}.sh"
    text = render()
    if os.environ.get("SMARTSIM_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"Golden file {path} is missing.\n{REGEN_HINT}"
    expected = path.read_text()
    assert text == expected, f"Batch script differs from golden file {path}.\n{REGEN_HINT}"


@pytest.mark.parametrize(
    ("hosts", "expected"), [(" n1 ", ["n1"]), (["n1", "n2"], ["n1", "n2"]), ([], [])]
)
def test_as_host_list(hosts, expected):
    assert as_host_list(hosts) == expected


@pytest.mark.parametrize("bad", [None, 3, ("n1",), ["n1", 2], ["n1", ""], "  "])
def test_as_host_list_refuses(bad):
    with pytest.raises(TypeError, match=r"interface must be a non-empty str or a list of them"):
        as_host_list(bad, "interface")
