"""SgeQsubBatchSettings (Grid Engine): resources and directives."""

from __future__ import annotations

import pytest

from smartsim.error import LauncherUnsupportedFeature, SSConfigError
from smartsim.settings import SgeQsubBatchSettings


@pytest.mark.parametrize("pe_type", ["mpi", "smp"])
def test_parallel_environment(pe_type):
    bs = SgeQsubBatchSettings(ncpus=8, pe_type=pe_type)
    assert bs.batch_cmd == "qsub"
    assert bs.format_batch_args() == [f"-pe {pe_type} 8"]


@pytest.mark.parametrize("kwargs", [{"ncpus": 8}, {"pe_type": "mpi"}])
def test_ncpus_and_pe_type_go_together(kwargs):
    with pytest.raises(SSConfigError, match="must both be set"):
        SgeQsubBatchSettings(**kwargs).format_batch_args()


@pytest.mark.parametrize(
    "setter, args, directives",
    [
        ("set_walltime", ("01:00:00",), ["-l h_rt=01:00:00"]),
        ("set_ngpus", (1,), ["-l gpu=1"]),
        ("set_account", ("foo",), ["-A foo"]),
        ("set_project", ("foo",), ["-P foo"]),
        ("set_hyperthreading", (), ["-l threads=1"]),
        ("set_hyperthreading", (True,), ["-l threads=1"]),
        ("set_hyperthreading", (False,), ["-l threads=0"]),
        ("set_memory_per_pe", ("2G",), ["-l mem=2G"]),
        ("set_threads_per_pe", (4,), ["-v OMP_NUM_THREADS=4"]),
        ("set_resource", ("arch", "x86"), ["-l arch=x86"]),
    ],
)
def test_setter_directives(setter, args, directives):
    bs = SgeQsubBatchSettings()
    getattr(bs, setter)(*args)
    assert bs.format_batch_args() == directives


def test_constructor_time_and_account():
    bs = SgeQsubBatchSettings(time="01:00:00", account="acct")
    assert bs.format_batch_args() == ["-l h_rt=01:00:00", "-A acct"]


def test_directive_order():
    bs = SgeQsubBatchSettings(time="00:10:00", ncpus=4, pe_type="mpi", batch_args={"j": "y"})
    bs.set_threads_per_pe(2)
    bs.update_context_variables("ac", "foo", "bar")
    assert bs.format_batch_args() == [
        "-pe mpi 4",
        "-ac foo=bar",
        "-l h_rt=00:10:00",
        "-v OMP_NUM_THREADS=2",
        "-j y",
    ]


def test_update_context_variables():
    bs = SgeQsubBatchSettings()
    bs.update_context_variables("ac", "foo")
    bs.update_context_variables("sc", "foo", "bar")
    bs.update_context_variables("dc", "foo")
    assert bs.format_batch_args() == ["-ac foo", "-sc foo=bar", "-dc foo"]


def test_update_context_variables_errors():
    bs = SgeQsubBatchSettings()
    with pytest.raises(SSConfigError):
        bs.update_context_variables("dc", "foo", "bar")
    with pytest.raises(ValueError, match="'xx'"):
        bs.update_context_variables("xx", "foo")


def test_nodes_are_unsupported():
    bs = SgeQsubBatchSettings(nodes=4)  # the factory's default node count is dropped
    assert bs.format_batch_args() == []
    bs.set_nodes(0)
    bs.set_nodes(None)
    with pytest.raises(LauncherUnsupportedFeature):
        bs.set_nodes(2)


def test_hostlist_and_queue_are_unsupported():
    with pytest.raises(LauncherUnsupportedFeature):
        SgeQsubBatchSettings().set_hostlist(["a"])
    with pytest.raises(LauncherUnsupportedFeature):
        SgeQsubBatchSettings().set_queue("q")
    with pytest.raises(LauncherUnsupportedFeature):
        SgeQsubBatchSettings(queue="q")


def test_batch_args_need_values():
    with pytest.raises(ValueError, match="'V'"):
        SgeQsubBatchSettings(batch_args={"V": None}).format_batch_args()


def test_resources_is_a_copy_and_checked():
    bs = SgeQsubBatchSettings()
    assert bs.resources is not bs._resources
    before = bs.resources
    with pytest.raises(TypeError):
        bs.resources = {"meep": Exception}
    assert bs.resources == before
    with pytest.raises(TypeError):
        bs.set_resource("foo", None)


def test_shebang_default_and_override():
    bs = SgeQsubBatchSettings()
    assert bs.shebang == "#!/bin/bash -l"
    assert bs.render_script("j", "o", "e", []).startswith("#!/bin/bash -l\n")
    bs.set_shebang("#!/bin/zsh")
    assert bs.render_script("j", "o", "e", []).startswith("#!/bin/zsh\n")
    assert bs.render_script("j", "o", "e", [], shebang="#!/bin/sh").startswith("#!/bin/sh\n")
    assert SgeQsubBatchSettings(shebang="#!/bin/ksh").shebang == "#!/bin/ksh"


def test_job_directives_in_script():
    lines = SgeQsubBatchSettings().render_script("job", "/o/j.out", "/o/j.err", []).splitlines()
    assert lines == ["#!/bin/bash -l", "", "#$ -o /o/j.out", "#$ -e /o/j.err", "#$ -N job", "#$ -V"]
