"""Preview rendering: the seed's text, verbosity levels, entities, errors and output."""

from __future__ import annotations

import re
import types

import pytest

from smartsim import Experiment
from smartsim._core.control.previewrenderer import Format, Verbosity, preview, render
from smartsim.entity import Ensemble, Model
from smartsim.error import SSUnsupportedError
from smartsim.settings.base import BatchSettings, RunSettings

SEED_ROOT = "absolute/path/to/SmartSim"
EXP_PATH = f"{SEED_ROOT}/example-experiment"

# The seed's DEBUG preview (experiments page, "Previewing"): a text dump of the docs that
# loses indentation. SEED_INDENTED is the same text with SmartSim 0.8's indentation and
# blank lines; {exe} stands for the resolved path of `echo` (the seed shows /bin/echo).
SEED_TEXT = f"""\
=== Experiment Overview ===
Experiment Name: example-experiment
Experiment Path: {EXP_PATH}
Launcher: local
=== Entity Preview ===
== Orchestrators ==
= Database Identifier: orchestrator =
Path: {EXP_PATH}/orchestrator
Shards: 1
TCP/IP Port(s):
6379
Network Interface: ib0
Type: redis
Executable: {SEED_ROOT}/smartsim/_core/bin/redis-server
== Models ==
= Model Name: hello_world =
Path: {EXP_PATH}/hello_world
Executable: /bin/echo
Executable Arguments:
Hello
World
Client Configuration:
Database Identifier: orchestrator
Database Backend: redis
TCP/IP Port(s):
6379
Type: Standalone
Outgoing Key Collision Prevention (Key Prefixing):
Tensors: Off
Datasets: Off
ML Models/Torch Scripts: Off
Aggregation Lists: Off"""

SEED_INDENTED = f"""\
=== Experiment Overview ===
    Experiment Name: example-experiment
    Experiment Path: {EXP_PATH}
    Launcher: local

=== Entity Preview ===

  == Orchestrators ==

    = Database Identifier: orchestrator =
        Path: {EXP_PATH}/orchestrator
        Shards: 1
        TCP/IP Port(s):
          6379
        Network Interface: ib0
        Type: redis
        Executable: {SEED_ROOT}/smartsim/_core/bin/redis-server

  == Models ==

    = Model Name: hello_world =
        Path: {EXP_PATH}/hello_world
        Executable: {{exe}}
        Executable Arguments:
          Hello
          World
        Client Configuration:
          Database Identifier: orchestrator
            Database Backend: redis
            TCP/IP Port(s):
              6379
            Type: Standalone
          Outgoing Key Collision Prevention (Key Prefixing):
            Tensors: Off
            Datasets: Off
            ML Models/Torch Scripts: Off
            Aggregation Lists: Off"""


def make_db(**overrides: object) -> types.SimpleNamespace:
    """A stand-in Orchestrator with the attributes the renderer reads."""
    attrs: dict[str, object] = dict(
        db_identifier="orchestrator",
        path=f"{EXP_PATH}/orchestrator",
        num_shards=1,
        ports=[6379],
        interfaces=["ib0"],
        db_type="redis",
        server_exe=f"{SEED_ROOT}/smartsim/_core/bin/redis-server",
        batch=False,
        batch_settings=None,
        run_settings=None,
        is_clustered=False,
    )
    attrs.update(overrides)
    return types.SimpleNamespace(**attrs)


def make_model(name: str = "hello_world", **kwargs: object) -> Model:
    """The seed's model: echo Hello World."""
    settings = RunSettings("echo", exe_args="Hello World")
    return Model(name, kwargs.pop("params", {}), settings, path=f"{EXP_PATH}/{name}", **kwargs)


def show(models=(), ensembles=(), dbs=(), **kwargs: object) -> str:
    """Render the seed's experiment with the given entities, plus a final newline.

    Run and batch commands found on this machine are shown by full path; they are cut
    back to their names so that the text is the same with or without Slurm installed.
    """
    text = render(
        "example-experiment", EXP_PATH, "local", list(models), list(ensembles), list(dbs), **kwargs
    )
    return re.sub(r"(Run|Batch) Command: \S*/(\w+)\n", r"\1 Command: \2\n", text + "\n")


def normalized(text: str) -> str:
    """The text as the seed's dump shows it: no indentation, no blank lines."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# -- the seed --------------------------------------------------------------------------------


def test_seed_debug_preview_exact_text() -> None:
    model = make_model()
    text = show([model], dbs=[make_db()], verbosity_level=Verbosity.DEBUG)
    expected = SEED_INDENTED.replace("{exe}", model.run_settings.exe[0]) + "\n"
    assert text == expected, "layout changed: update SEED_INDENTED only if intended"


def test_seed_debug_preview_matches_seed_dump() -> None:
    model = make_model()
    model.run_settings.exe = ["/bin/echo"]  # the seed's machine resolved echo to /bin/echo
    text = show([model], dbs=[make_db()], verbosity_level="debug")
    assert normalized(text) == SEED_TEXT


def test_no_entities_ends_with_the_overview() -> None:
    text = show(verbosity_level="debug")
    assert "Entity Preview" not in text
    assert text.splitlines()[-3:] == [
        "    Experiment Name: example-experiment",
        f"    Experiment Path: {EXP_PATH}",
        "    Launcher: local",
    ]


# -- verbosity levels ------------------------------------------------------------------------


def test_info_shows_user_fields_only() -> None:
    model = make_model(params={"port": 6379})
    model.run_settings.set("nodes", "1")
    text = show([model], dbs=[make_db()], verbosity_level="info")
    assert "Executable: " + model.run_settings.exe[0] in text
    assert "          Hello\n          World" in text
    assert "Model Parameters:\n          port: 6379" in text
    for generated in ("        Path:", "Shards", "redis-server", "Run Arguments", "Outgoing Key"):
        assert generated not in text
    assert "Database Identifier: orchestrator" in text


def test_debug_adds_generated_fields_and_settings() -> None:
    model = make_model()
    model.run_settings.run_args = {"nodes": 2, "exclusive": None}
    model.run_settings.env_vars = {"OMP_NUM_THREADS": "4", "EMPTY": None}
    info = show([model], verbosity_level="info")
    debug = show([model], verbosity_level="debug")
    assert "Run Arguments" not in info and "Environment Variables" not in info
    assert (
        "        Run Arguments:\n"
        "          nodes: 2\n"
        "          exclusive\n"
        "        Environment Variables:\n"
        "          OMP_NUM_THREADS=4\n"
        "          EMPTY=\n"
    ) in debug
    assert f"Path: {EXP_PATH}/hello_world" in debug


def test_developer_adds_launch_commands() -> None:
    model = make_model()
    db = make_db(num_shards=2, ports=[6379])
    commands = {
        "hello_world": ["/bin/echo", "Hello World"],
        "orchestrator_0": ["redis-server", "--port", "6379"],
        "orchestrator_1": ["redis-server", "--port", "6380"],
    }
    debug = show([model], dbs=[db], verbosity_level="debug", launch_commands=commands)
    developer = show([model], dbs=[db], verbosity_level="developer", launch_commands=commands)
    assert "Launch Command" not in debug
    assert "        Launch Command: /bin/echo 'Hello World'\n" in developer
    assert (
        "        Launch Commands:\n"
        "          orchestrator_0: redis-server --port 6379\n"
        "          orchestrator_1: redis-server --port 6380\n"
    ) in developer
    # Apart from the commands, developer shows what debug shows.
    kept = [
        line
        for line in developer.splitlines()
        if "Launch Command" not in line and not line.startswith("          orchestrator_")
    ]
    assert "\n".join(kept) + "\n" == debug
    assert developer.count("Launch Command") == 2


def test_developer_without_launch_commands_equals_debug() -> None:
    model = make_model()
    assert show([model], verbosity_level="developer") == show([model], verbosity_level="debug")


def test_verbosity_accepts_enum_and_str() -> None:
    model = make_model()
    assert show([model], verbosity_level=Verbosity.DEBUG) == show([model], verbosity_level="debug")


# -- databases -------------------------------------------------------------------------------


def test_db_info_hides_executable_and_run_command() -> None:
    db = make_db(run_settings=RunSettings("echo", run_command="srun", run_args={"nodes": 1}))
    info = show(dbs=[db], verbosity_level="info")
    debug = show(dbs=[db], verbosity_level="debug")
    assert "Executable" not in info and "Run Command" not in info
    assert "        Run Command: srun\n        Run Arguments:\n          nodes: 1" in debug


def test_clustered_db_and_several_ports() -> None:
    db = make_db(num_shards=3, ports=[6379, 6380], is_clustered=True, interfaces=["ib0", "ib1"])
    text = show([make_model()], dbs=[db], verbosity_level="debug")
    assert "Shards: 3" in text
    assert "Network Interface: ib0, ib1" in text
    assert "              6379\n              6380\n            Type: Clustered" in text


def test_batch_db_shows_batch_settings() -> None:
    settings = BatchSettings("qsub", batch_args={"q": "debug"})
    db = make_db(batch=True, batch_settings=settings)
    info = show(dbs=[db], verbosity_level="info")
    debug = show(dbs=[db], verbosity_level="debug")
    assert "Batch Launch: True" in info and "Batch Command" not in info
    assert "Batch Launch: True\n        Batch Command: qsub\n        Batch Arguments:\n" in debug
    assert "          q: debug" in debug


def test_client_configuration_lists_every_db() -> None:
    dbs = [make_db(db_identifier="db_1", ports=[6780]), make_db(db_identifier="db_2", ports=[6784])]
    text = show([make_model()], dbs=dbs, verbosity_level="debug")
    assert "Database Identifier: db_1\n            Database Backend: redis\n" in text
    assert "              6784\n            Type: Standalone" in text


def test_no_client_configuration_without_a_db() -> None:
    text = show([make_model()], verbosity_level="debug")
    assert "Client Configuration" not in text
    assert "Outgoing Key" not in text


# -- models ----------------------------------------------------------------------------------


def test_key_prefixing_on() -> None:
    model = make_model("model_test")
    model.enable_key_prefixing()
    for level in ("info", "debug"):
        text = show([model], dbs=[make_db()], verbosity_level=level)
        assert "Key Prefix: model_test" in text
        assert (
            "          Outgoing Key Collision Prevention (Key Prefixing):\n"
            "            Tensors: On\n"
            "            Datasets: On\n"
            "            ML Models/Torch Scripts: Off\n"
            "            Aggregation Lists: On"
        ) in text


def test_incoming_entities_at_debug() -> None:
    model = make_model("tf_training")
    model.register_incoming_entity(make_model("sim_0"))
    model.register_incoming_entity(make_model("sim_1"))
    info = show([model], dbs=[make_db()], verbosity_level="info")
    debug = show([model], dbs=[make_db()], verbosity_level="debug")
    assert "Incoming Entities" not in info
    incoming = "Incoming Entities (Available Data Sources):\n            sim_0\n            sim_1\n"
    assert incoming in debug


def test_attached_files(tmp_path) -> None:
    tagged = tmp_path / "in.cfg"
    copied = tmp_path / "data"
    linked = tmp_path / "big.h5"
    tagged.write_text(";port;")
    copied.mkdir()
    linked.write_text("")
    model = make_model(params={"port": 1})
    model.attach_generator_files(
        to_copy=[str(copied)], to_symlink=[str(linked)], to_configure=[str(tagged)]
    )
    info = show([model], verbosity_level="info")
    debug = show([model], verbosity_level="debug")
    assert "Files" not in info
    dest = f"          -> {EXP_PATH}/hello_world\n"
    assert f"        Tagged Files for Model Configuration:\n          {tagged}\n{dest}" in debug
    assert f"        Copy Files:\n          {copied}\n{dest}" in debug
    assert f"        Symlink Files:\n          {linked}\n{dest}" in debug


def test_batch_model() -> None:
    model = make_model(batch_settings=BatchSettings("sbatch", batch_args={"exclusive": None}))
    info = show([model], verbosity_level="info")
    debug = show([model], verbosity_level="debug")
    assert "Batch Launch: True" in info and "sbatch" not in info
    assert "        Batch Command: sbatch\n        Batch Arguments:\n          exclusive\n" in debug


def test_colocated_tcp() -> None:
    model = make_model()
    model.colocate_db_tcp(port=6780, ifname="lo", db_identifier="colo")
    info = show([model], verbosity_level="info")
    debug = show([model], verbosity_level="debug")
    client = (
        "        Client Configuration:\n"
        "          Database Identifier: colo\n"
        "            Database Backend: redis\n"
        "            Connection Type: TCP\n"
        "            TCP/IP Port(s):\n"
        "              6780\n"
    )
    assert client + "            Type: Colocated\n" in info
    assert client + "            Network Interface Name: lo\n            Type: Colocated\n" in debug
    assert "        Colocated:\n          Database Identifier: colo\n" in debug
    assert "          CPUs: 1\n" in debug and "CPUs" not in info
    assert "Outgoing Key Collision Prevention" not in info
    assert "Outgoing Key Collision Prevention" in debug


def test_colocated_uds_without_identifier() -> None:
    model = make_model()
    model.colocate_db_uds(unix_socket="/tmp/test.sock")
    text = show([model], verbosity_level="debug")
    assert (
        "          Database Identifier: N/A\n"
        "            Database Backend: redis\n"
        "            Connection Type: UDS\n"
        "            Unix Socket: /tmp/test.sock\n"
        "            Type: Colocated\n"
    ) in text
    assert "TCP/IP" not in text


def test_ml_models_and_scripts(tmp_path) -> None:
    model_file = tmp_path / "model1.pt"
    model_file.write_text("empty test")
    model = make_model()
    model.add_ml_model(
        "cnn",
        "TF",
        model_path=str(model_file),
        device="GPU",
        devices_per_node=2,
        inputs="args_0",
        outputs="Identity",
    )
    model.add_script("negate", script="def negate(x):\n\treturn torch.neg(x)\n")
    info = show([model], verbosity_level="info")
    debug = show([model], verbosity_level="debug")
    assert (
        "        Torch Scripts:\n"
        "          Name: negate\n"
        "            Path: in memory\n"
        "            Device: CPU\n"
        "            Devices Per Node: 1\n"
        "        ML Models:\n"
        "          Name: cnn\n"
        f"            Path: {model_file.resolve()}\n"
        "            Backend: TF\n"
        "            Device: GPU\n"
        "            Devices Per Node: 2\n"
        "            First Device: 0\n"
        "            Inputs:\n"
        "              args_0\n"
        "            Outputs:\n"
        "              Identity"
    ) in debug
    assert "Name: cnn" in info and "Backend: TF" in info and "Path: in memory" in info
    assert "Devices Per Node" not in info and "Device:" not in info


# -- ensembles -------------------------------------------------------------------------------


def make_ensemble(replicas: int | None = None, **params: object) -> Ensemble:
    """An ensemble of echo members."""
    kwargs = {"replicas": replicas} if replicas else {}
    return Ensemble(
        "echo-ensemble",
        dict(params),
        path=f"{EXP_PATH}/echo-ensemble",
        run_settings=RunSettings("echo", exe_args="hello world"),
        **kwargs,
    )


def test_ensemble_debug_shows_every_member() -> None:
    ensemble = make_ensemble(THERMO=[10, 20], STEPS=[20, 30])
    text = show(ensembles=[ensemble], verbosity_level="debug")
    assert (
        "  == Ensembles ==\n\n"
        "    = Ensemble Name: echo-ensemble =\n"
        f"        Path: {EXP_PATH}/echo-ensemble\n"
        "        Members: 4\n"
        "        Ensemble Parameters:\n"
        "          THERMO: 10, 20\n"
        "          STEPS: 20, 30\n"
        "\n"
        "    - Model Name: echo-ensemble_0 -\n"
        f"        Path: {EXP_PATH}/echo-ensemble/echo-ensemble_0\n"
    ) in text
    for i in range(4):
        assert f"    - Model Name: echo-ensemble_{i} -" in text
    assert "Model Parameters:\n          THERMO: 20\n          STEPS: 30\n" in text
    assert "\n        ...\n" not in text


def test_ensemble_info_shortens_to_first_and_last_member() -> None:
    ensemble = make_ensemble(replicas=4)
    text = show(ensembles=[ensemble], verbosity_level="info")
    assert "Members: 4" in text
    assert "echo-ensemble_0" in text and "echo-ensemble_3" in text
    assert "echo-ensemble_1" not in text and "echo-ensemble_2" not in text
    assert "\n        ...\n\n    - Model Name: echo-ensemble_3 -\n" in text
    assert "Replicas" not in text


def test_ensemble_replicas_and_batch_settings() -> None:
    ensemble = make_ensemble(replicas=2)
    ensemble.batch_settings = BatchSettings("sbatch", batch_args={"partition": "debug"})
    text = show(ensembles=[ensemble], verbosity_level="debug")
    assert (
        "        Members: 2\n"
        "        Replicas: 2\n"
        "        Batch Launch: True\n"
        "        Batch Command: sbatch\n"
        "        Batch Arguments:\n"
        "          partition: debug\n"
    ) in text
    assert "echo-ensemble_1" in text


def test_ensemble_members_show_client_configuration_and_launch_commands() -> None:
    ensemble = make_ensemble(replicas=2)
    text = show(
        ensembles=[ensemble],
        dbs=[make_db()],
        verbosity_level="developer",
        launch_commands={"echo-ensemble_1": ["echo", "hello", "world"]},
    )
    assert text.count("Client Configuration:") == 2
    assert text.count("Tensors: On") == 2  # members prefix their keys
    assert "Launch Command: echo hello world" in text


def test_models_and_ensembles_sections() -> None:
    text = show([make_model()], [make_ensemble(replicas=3)], verbosity_level="debug")
    models_at = text.index("  == Models ==")
    ensembles_at = text.index("  == Ensembles ==")
    assert models_at < ensembles_at
    assert "Orchestrators" not in text


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "json", "hello"])
def test_bad_output_format(fmt: str) -> None:
    with pytest.raises(SSUnsupportedError) as err:
        show(output_format=fmt)
    message = str(err.value)
    assert repr(fmt) in message
    assert "The only valid output format currently available is plain_text" in message


@pytest.mark.parametrize("level", ["hello", "verbose", ""])
def test_bad_verbosity(level: str) -> None:
    with pytest.raises(ValueError) as err:
        show(verbosity_level=level)
    message = str(err.value)
    assert repr(level) in message
    assert "'info', 'debug', 'developer'" in message


def test_enum_values_as_smartsim() -> None:
    assert [v.value for v in Verbosity] == ["info", "debug", "developer"]
    assert Verbosity.INFO == "info" and Format.PLAINTEXT == "plain_text"
    assert [f.value for f in Format] == ["plain_text"]


def test_experiment_preview_defaults_to_info(tmp_path, capsys) -> None:
    exp = Experiment("example-experiment", exp_path=str(tmp_path))
    model = make_model()
    exp.preview(model)
    shown = capsys.readouterr().out
    expected = render("example-experiment", str(tmp_path), "local", [model], [], [])
    assert shown == expected + "\n"
    assert shown != render(
        "example-experiment", str(tmp_path), "local", [model], [], [], verbosity_level="debug"
    ) + "\n"


# -- output ----------------------------------------------------------------------------------


def test_preview_prints_to_stdout(capsys) -> None:
    model = make_model()
    written = preview(
        "example-experiment", EXP_PATH, "local", [model], [], [], verbosity_level="debug"
    )
    assert written is None
    assert capsys.readouterr().out == show([model], verbosity_level="debug")


def test_preview_to_file_prints_nothing(tmp_path, capsys) -> None:
    target = tmp_path / "preview.txt"
    written = preview(
        "exp",
        str(tmp_path),
        "local",
        [make_model()],
        [],
        [],
        verbosity_level=Verbosity.DEBUG,
        output_filename=str(target),
    )
    assert written == str(target)
    assert capsys.readouterr().out == ""
    content = target.read_text()
    assert content.startswith("=== Experiment Overview ===\n    Experiment Name: exp\n")
    assert "= Model Name: hello_world =" in content and content.endswith("\n")


def test_preview_to_existing_file_picks_a_new_name(tmp_path) -> None:
    target = tmp_path / "preview.txt"
    target.write_text("keep me")
    written = preview("exp", str(tmp_path), "local", [], [], [], output_filename=str(target))
    assert written == str(tmp_path / "preview_01.txt")
    assert target.read_text() == "keep me"
    assert "Experiment Name: exp" in (tmp_path / "preview_01.txt").read_text()


def test_preview_checks_arguments_before_writing(tmp_path) -> None:
    target = tmp_path / "preview.txt"
    with pytest.raises(SSUnsupportedError):
        preview("exp", "/p", "local", [], [], [], output_format="html", output_filename=str(target))
    assert not target.exists()
