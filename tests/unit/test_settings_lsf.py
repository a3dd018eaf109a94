"""JsrunSettings and BsubBatchSettings: every setter's rendered arguments."""

from __future__ import annotations

import sys

import pytest

from smartsim.error import SSUnsupportedError
from smartsim.settings import BsubBatchSettings, JsrunSettings, Singularity

EXE = sys.executable

# ---- jsrun ----------------------------------------------------------------------------


def test_jsrun_defaults():
    rs = JsrunSettings(EXE)
    assert rs._run_command == "jsrun"
    assert rs.erf_sets == {"host": "*", "cpu": "*", "ranks": "1"}
    assert rs.mpmd_preamble_lines == []
    assert rs.individual_suffix == ""


def test_jsrun_resource_set_setters():
    rs = JsrunSettings(EXE)
    rs.set_num_rs(8)
    rs.set_cpus_per_rs(2)
    rs.set_gpus_per_rs(1)
    rs.set_rs_per_host(4)
    rs.set_tasks_per_rs(12)
    rs.set_tasks(96)
    rs.set_binding("packed:2")
    assert rs.format_run_args() == [
        "--nrs=8",
        "--cpu_per_rs=2",
        "--gpu_per_rs=1",
        "--rs_per_host=4",
        "--tasks_per_rs=12",
        "--np=96",
        "--bind=packed:2",
    ]
    rs.set_cpus_per_rs("ALL_CPUS")
    rs.set_gpus_per_rs("ALL_GPUS")
    rs.set_num_rs("ALL_HOSTS")
    assert rs.format_run_args()[:3] == [
        "--nrs=ALL_HOSTS",
        "--cpu_per_rs=ALL_CPUS",
        "--gpu_per_rs=ALL_GPUS",
    ]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_num_rs", 3, ["--nrs=3"]),
        ("set_cpus_per_rs", 4, ["--cpu_per_rs=4"]),
        ("set_gpus_per_rs", 1, ["--gpu_per_rs=1"]),
        ("set_rs_per_host", 2, ["--rs_per_host=2"]),
        ("set_tasks", 6, ["--np=6"]),
        ("set_tasks_per_rs", 6, ["--tasks_per_rs=6"]),
        ("set_tasks_per_node", 6, ["--tasks_per_rs=6"]),
        ("set_cpus_per_task", 6, ["--cpu_per_rs=6"]),
        ("set_memory_per_rs", 8000, ["--memory_per_rs=8000"]),
        ("set_memory_per_node", 8000, ["--memory_per_rs=8000"]),
        ("set_binding", "packed:21", ["--bind=packed:21"]),
        ("set_individual_output", None, ["--stdio_mode=individual"]),
    ],
)
def test_jsrun_setter_renders(setter, value, argv):
    rs = JsrunSettings(EXE)
    getattr(rs, setter)(value)
    assert rs.format_run_args() == argv


@pytest.mark.parametrize(
    "setter",
    [
        "set_tasks",
        "set_tasks_per_node",
        "set_cpus_per_task",
        "set_memory_per_node",
        "set_rs_per_host",
    ],
)
def test_jsrun_int_setters_raise_value_error(setter):
    with pytest.raises(ValueError):
        getattr(JsrunSettings(EXE), setter)("not an int")


def test_jsrun_user_run_args():
    run_args = {"latency_priority": "gpu-gpu", "immediate": None, "d": "packed", "nrs": 10}
    rs = JsrunSettings(EXE, run_args=run_args)
    assert rs.format_run_args() == [
        "--latency_priority=gpu-gpu",
        "--immediate",
        "-d",
        "packed",
        "--nrs=10",
    ]


def test_jsrun_launcher_args_are_not_rendered():
    run_args = {"chdir": "/x", "h": "/x", "stdio_stdout": "o", "o": "o", "stdio_stderr": "e"}
    run_args["k"] = "e"
    assert JsrunSettings(EXE, run_args=run_args).format_run_args() == []


@pytest.mark.parametrize("reserved", ["chdir", "h"])
def test_jsrun_reserved_args(reserved):
    rs = JsrunSettings(EXE)
    rs.set(reserved)
    assert reserved not in rs.run_args


def test_jsrun_resource_args_dropped_for_erf_launch():
    rs = JsrunSettings(EXE, run_args={"nrs": 2, "np": 4, "bind": "none", "smpiargs": "-gpu"})
    rs.make_mpmd(JsrunSettings(EXE))
    assert rs.format_run_args() == ["--smpiargs=-gpu"]
    erf = JsrunSettings(EXE, run_args={"erf_input": "f.erf", "a": 2, "immediate": None})
    assert erf.format_run_args() == ["--erf_input=f.erf", "--immediate"]


def test_jsrun_individual_output_suffix():
    rs = JsrunSettings(EXE)
    rs.set_individual_output("_%t")
    assert rs.individual_suffix == "_%t"
    assert rs.run_args["stdio_mode"] == "individual"


def test_jsrun_erf_sets_are_copied():
    rs = JsrunSettings(EXE)
    erf = {"foo": "1", "bar": "2"}
    rs.set_erf_sets(erf)
    erf["foo"] = "111"
    assert rs.erf_sets == {"foo": "1", "bar": "2"}


def test_jsrun_mpmd_preamble_and_str():
    rs = JsrunSettings(EXE)
    rs.set_mpmd_preamble(["launch_distribution : packed"])
    assert rs.mpmd_preamble_lines == ["launch_distribution : packed"]
    rs.make_mpmd(JsrunSettings(EXE))
    assert "ERF settings" in str(rs)


def test_jsrun_format_env_vars():
    rs = JsrunSettings(EXE, env_vars={"OMP_NUM_THREADS": None, "LOGGING": "verbose"})
    assert rs.format_env_vars() == ["-E", "OMP_NUM_THREADS", "-E", "LOGGING=verbose"]
    rs.update_env({"OMP_NUM_THREADS": 10})
    assert rs.env_vars["OMP_NUM_THREADS"] == "10"


def test_jsrun_mpmd_rejects_colocated_db():
    rs = JsrunSettings(EXE)
    rs.colocated_db_settings = {"port": 6379, "db_cpus": 1}
    with pytest.raises(SSUnsupportedError):
        rs.make_mpmd(JsrunSettings(EXE))


def test_jsrun_cpus_per_rs_checks_colocated_db():
    rs = JsrunSettings(EXE)
    rs.colocated_db_settings = {"db_cpus": 4}
    with pytest.raises(ValueError, match="less than db_cpus"):
        rs.set_cpus_per_rs(2)
    rs.set_cpus_per_rs(4)
    assert rs.run_args["cpu_per_rs"] == 4
    rs.colocated_db_settings = {"port": 1}
    with pytest.raises(ValueError, match="db_cpus must be configured"):
        rs.set_cpus_per_rs(4)


def test_jsrun_prep_colocated_db():
    rs = JsrunSettings(EXE, run_args={"cpu_per_rs": 1, "rs_per_host": 2})
    rs._prep_colocated_db(4)
    assert rs.run_args["cpu_per_rs"] == 4
    assert rs.run_args["rs_per_host"] == "1"
    fresh = JsrunSettings(EXE)
    fresh._prep_colocated_db(2)
    assert fresh.format_run_args() == ["--cpu_per_rs=2", "--rs_per_host=1"]


def test_jsrun_keeps_container():
    container = Singularity("image.sif")
    assert JsrunSettings("python3", container=container).container is container


# ---- bsub -----------------------------------------------------------------------------


def test_bsub_constructor():
    bs = BsubBatchSettings(
        nodes=1, time="10:00:00", project="A3123", smts=4, batch_args={"alloc_flags": "nvme"}
    )
    assert bs.batch_cmd == "bsub"
    assert bs.format_batch_args() == ['-alloc_flags "nvme smt4"', "-nnodes 1"]
    assert bs.walltime == "10:00"
    assert bs.project == "A3123"


def test_bsub_manual():
    bs = BsubBatchSettings(batch_args={"alloc_flags": "gpumps smt4"})
    bs.set_nodes(5)
    bs.set_project("A3531")
    bs.set_walltime("10:00:00")
    bs.set_smts(2)  # no effect: alloc_flags already names an SMT level
    bs.set_hostlist(["node1", "node2", "node5"])
    bs.set_tasks(5)
    assert bs.format_batch_args() == [
        '-alloc_flags "gpumps smt4"',
        "-nnodes 5",
        '-m "node1 node2 node5"',
        "-n 5",
    ]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_nodes", 2, ["-nnodes 2"]),
        ("set_tasks", 8, ["-n 8"]),
        ("set_queue", "debug", ["-q debug"]),
        ("set_hostlist", "node1", ['-m "node1"']),
        ("set_hostlist", ["node1", "node2"], ['-m "node1 node2"']),
        ("set_smts", 4, ["-alloc_flags smt4"]),
    ],
)
def test_bsub_setter_renders(setter, value, argv):
    bs = BsubBatchSettings()
    getattr(bs, setter)(value)
    assert bs.format_batch_args() == argv


def test_bsub_hostlist_type_error():
    with pytest.raises(TypeError):
        BsubBatchSettings().set_hostlist([1])


@pytest.mark.parametrize(
    "walltime, expected", [("10:00:00", "10:00"), ("01:30", "01:30"), ("45", "45")]
)
def test_bsub_walltime_is_hours_minutes(walltime, expected):
    bs = BsubBatchSettings(time=walltime)
    assert bs.walltime == expected
    script = bs.render_script("j", "o", "e", [])
    assert f"#BSUB -W {expected}\n" in script


def test_bsub_account_is_project_alias():
    assert BsubBatchSettings(account="acct").project == "acct"
    assert BsubBatchSettings(project="proj", account="acct").project == "proj"
    bs = BsubBatchSettings()
    bs.set_account("other")
    assert bs.project == "other"


def test_bsub_expert_mode_drops_easy_settings():
    bs = BsubBatchSettings(nodes=4, batch_args={"ln_slots": "1", "core_isolation": "2"})
    bs.set_expert_mode_req("1*{select[LN]} + 42*{select[CN]span[hosts=1]}", 43)
    assert bs.expert_mode
    assert bs.format_batch_args() == [
        "-core_isolation 2",
        "-csm y",
        "-R 1*{select[LN]} + 42*{select[CN]span[hosts=1]}",
        "-n 43",
    ]


def test_bsub_flag_without_value():
    bs = BsubBatchSettings(nodes=1, queue="default", batch_args={"core_isolation": None})
    assert bs.format_batch_args() == ["-core_isolation", "-nnodes 1", "-q default"]


@pytest.mark.parametrize(
    "batch_args, smts, expected",
    [
        ({}, 0, None),
        ({}, 2, "smt2"),
        ({"alloc_flags": "unittest-smt"}, 0, "unittest-smt"),
        ({"alloc_flags": "unittest-smt"}, 1, '"unittest-smt smt1"'),
        ({"alloc_flags": '"smt3 smt4"'}, 4, '"smt3 smt4"'),
        ({"alloc_flags": "smt10"}, 2, "smt10"),
        ({"alloc_flags": "nvme"}, 2, '"nvme smt2"'),
        ({"alloc_flags": "gpumps maximizegpfs"}, 0, '"gpumps maximizegpfs"'),
    ],
)
def test_bsub_alloc_flags(batch_args, smts, expected):
    bs = BsubBatchSettings(batch_args=batch_args, smts=smts)
    formatted = bs.format_batch_args()
    assert bs.batch_args == batch_args  # formatting does not touch the settings
    if expected is None:
        assert formatted == []
    else:
        assert formatted == [f"-alloc_flags {expected}"]
        bs._format_alloc_flags()
        assert bs.batch_args["alloc_flags"] == expected


def test_bsub_job_directives_in_script():
    bs = BsubBatchSettings(nodes=1, time="01:00:00", project="p")
    lines = bs.render_script("job", "/o/job.out", "/o/job.err", []).splitlines()
    assert lines == [
        "#!/bin/bash",
        "",
        "#BSUB -W 01:00",
        "#BSUB -P p",
        "#BSUB -J job",
        "#BSUB -o /o/job.out",
        "#BSUB -e /o/job.err",
        "#BSUB -nnodes 1",
    ]


def test_bsub_without_walltime_or_project_omits_them():
    lines = BsubBatchSettings().render_script("job", "o", "e", []).splitlines()
    assert lines == ["#!/bin/bash", "", "#BSUB -J job", "#BSUB -o o", "#BSUB -e e"]
