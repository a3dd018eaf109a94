"""sacct after a node failure in a --no-kill job (recorded on the 3-node Slurm of
scripts/slurm/up-multinode.sh): the step that ran on the lost node shows its job's RESIZING
and never ends, while srun exits 0 saying "Node failure on n2"; the step is Failed."""

from __future__ import annotations

from smartsim._core.launcher.reconcile import Tracked, reconcile
from smartsim._core.launcher.slurm.parser import parse_sacct
from smartsim.status import SmartSimStatus

S = SmartSimStatus

# sacct --noheader --parsable2 --format=JobID,JobName,State,ExitCode,NodeList --jobs=6
AFTER_NODE_FAILURE = """\
6|no-shell|RESIZING|0:0|n[1-3]
6.0|shard-n2|RESIZING|0:0|n2
6.1|shard-n1|RUNNING|0:0|n1
6|no-shell|RUNNING|0:0|n[1,3]
"""


def test_a_step_that_lost_its_node_is_failed_and_its_job_runs_on():
    infos = parse_sacct(AFTER_NODE_FAILURE)
    assert infos["6.0"].status == S.STATUS_FAILED
    assert infos["6.1"].status == S.STATUS_RUNNING
    assert infos["6"].status == S.STATUS_RUNNING  # the job's new record, without n2
    assert infos["6"].nodes == ("n1", "n3")


def test_its_srun_exiting_0_does_not_make_it_completed():
    tracked = Tracked("shard", "6", step_name="shard-n2", pid=1, status=S.STATUS_RUNNING)
    tracked.proc_rc, tracked.proc_exited_at = 0, 100.0
    events = reconcile([tracked], parse_sacct(AFTER_NODE_FAILURE), now=100.5)
    for _, event in events:
        event.apply(tracked)
    assert tracked.status == S.STATUS_FAILED


# The same for a batch job (--no-requeue) that lost n3: Slurm ends the job NODE_FAIL and
# records its steps as they exited, the shards on n1 and n2 stopped cleanly by SIGTERM.
BATCH_NODE_FAIL = """\
1|orchestrator|NODE_FAIL|0:0|n[1-3]
1.batch|batch|CANCELLED|0:15|n1
1.0|orchestrator_0|COMPLETED|0:0|n1
1.1|orchestrator_1|COMPLETED|0:0|n2
1.2|orchestrator_2|CANCELLED||n3
"""


def test_the_steps_of_a_job_ended_by_a_node_failure_failed_with_it():
    infos = parse_sacct(BATCH_NODE_FAIL)
    assert [infos[f"1.{i}"].status for i in range(3)] == [S.STATUS_FAILED] * 3
    assert infos["1"].status == S.STATUS_FAILED
    assert infos["1.0"].returncode == 0  # what Slurm recorded stays
