"""QsubBatchSettings (PBS Pro): resources and directives."""

from __future__ import annotations

import pytest

from smartsim.error import SSConfigError
from smartsim.settings import QsubBatchSettings


def test_constructor_directives():
    bs = QsubBatchSettings(nodes=1, time="10:00:00", queue="default", account="proj", ncpus=10)
    assert bs.batch_cmd == "qsub"
    assert bs.format_batch_args() == [
        "-l nodes=1:ncpus=10",
        "-l walltime=10:00:00",
        "-q default",
        "-A proj",
    ]


@pytest.mark.parametrize("spec", ["nodes", "select"])
def test_chunk_statement_from_resource(spec):
    bs = QsubBatchSettings()
    bs.set_resource(spec, 10)
    bs.set_ncpus(36)
    assert bs._create_resource_list() == [f"-l {spec}=10:ncpus=36"]


@pytest.mark.parametrize(
    "kwargs, spec",
    [
        ({"nodes": 10}, "nodes"),
        ({"resources": {"nodes": 10}}, "nodes"),
        ({"resources": {"select": 10}}, "select"),
    ],
)
def test_chunk_statement_from_constructor(kwargs, spec):
    bs = QsubBatchSettings(ncpus=36, **kwargs)
    assert bs.format_batch_args() == [f"-l {spec}=10:ncpus=36"]


@pytest.mark.parametrize(
    "setter, args, directives",
    [
        ("set_nodes", (3,), ["-l nodes=3"]),
        ("set_walltime", ("01:00:00",), ["-l nodes=1", "-l walltime=01:00:00"]),
        ("set_queue", ("debug",), ["-l nodes=1", "-q debug"]),
        ("set_account", ("acct",), ["-l nodes=1", "-A acct"]),
        ("set_ncpus", ("8",), ["-l nodes=1:ncpus=8"]),
        ("set_hostlist", (["a", "b"],), ["-l nodes=1:host=a+host=b"]),
        ("set_hostlist", ("a",), ["-l nodes=1:host=a"]),
        ("set_resource", ("place", "scatter"), ["-l nodes=1", "-l place=scatter"]),
        ("set_resource", ("mem", "10gb"), ["-l nodes=1", "-l mem=10gb"]),
    ],
)
def test_setter_directives(setter, args, directives):
    bs = QsubBatchSettings(nodes=1)
    getattr(bs, setter)(*args)
    assert bs.format_batch_args() == directives


def test_select_with_ncpus_hosts_and_place():
    bs = QsubBatchSettings(ncpus=64, resources={"select": 2, "place": "scatter"})
    bs.set_hostlist(["nid1", "nid2"])
    assert bs.format_batch_args() == [
        "-l select=2:ncpus=64:host=nid1+host=nid2",
        "-l place=scatter",
    ]


@pytest.mark.parametrize("setter", ["set_nodes", "set_walltime", "set_queue", "set_account"])
def test_empty_values_are_ignored(setter):
    bs = QsubBatchSettings(nodes=1)
    getattr(bs, setter)(0 if setter == "set_nodes" else "")
    assert bs.format_batch_args() == ["-l nodes=1"]


def test_batch_args_need_values():
    bs = QsubBatchSettings(nodes=1, batch_args={"V": None})
    with pytest.raises(ValueError, match="'V'"):
        bs.format_batch_args()
    bs = QsubBatchSettings(nodes=1, batch_args={"j": "oe"})
    assert bs.format_batch_args() == ["-l nodes=1", "-j oe"]


def test_no_nodes_or_select_is_a_config_error():
    with pytest.raises(SSConfigError, match="no nodes or select"):
        QsubBatchSettings(time="01:00:00").format_batch_args()


def test_nodes_twice_is_a_value_error():
    with pytest.raises(ValueError):
        QsubBatchSettings(nodes=2, resources={"nodes": 3})


def test_select_and_nodes_conflict():
    with pytest.raises(SSConfigError):
        QsubBatchSettings(nodes=10, resources={"select": 10})
    bs = QsubBatchSettings()
    bs.set_nodes(10)
    with pytest.raises(SSConfigError):
        bs.set_resource("select", 10)
    with pytest.raises(SSConfigError):
        QsubBatchSettings().resources = {"nodes": 10, "select": 20}
    bs = QsubBatchSettings()
    bs.set_resource("select", 10)
    with pytest.raises(SSConfigError):
        bs.set_nodes(10)


@pytest.mark.parametrize(
    "action",
    [
        lambda bs: bs.set_nodes("10"),
        lambda bs: bs.set_resource("nodes", "10"),
        lambda bs: bs.set_resource("select", "10"),
        lambda bs: setattr(bs, "resources", {"nodes": "10"}),
        lambda bs: setattr(bs, "resources", {"select": "10"}),
        lambda bs: bs.set_resource("foo", None),
        lambda bs: setattr(bs, "resources", {1: "x"}),
    ],
)
def test_resource_type_errors(action):
    with pytest.raises(TypeError):
        action(QsubBatchSettings())


def test_resources_unchanged_after_error():
    bs = QsubBatchSettings(nodes=10)
    before = bs.resources
    with pytest.raises(SSConfigError):
        bs.resources = {"nodes": 10, "select": 10}
    assert bs.resources == before


def test_resources_is_a_copy():
    bs = QsubBatchSettings(nodes=1)
    resources = bs.resources
    resources["nodes"] = 99
    assert bs.resources == {"nodes": 1}


def test_hostlist_type_error():
    with pytest.raises(TypeError):
        QsubBatchSettings().set_hostlist([1])


def test_job_directives_in_script():
    lines = QsubBatchSettings(nodes=1).render_script("job", "/o/j.out", "/o/j.err", []).splitlines()
    assert lines == [
        "#!/bin/bash",
        "",
        "#PBS -o /o/j.out",
        "#PBS -e /o/j.err",
        "#PBS -N job",
        "#PBS -V",
        "#PBS -l nodes=1",
    ]
