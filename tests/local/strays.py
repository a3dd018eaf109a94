"""A job program that leaves a stray: for the tests of stop and teardown."""

# The job forks a child that calls setsid and forks the grandchild, then exits: the grandchild
# is in another session and process group, and no longer in the job's tree. It writes its pid
# to the file named by argv[1] (atomically, via a rename) and sleeps.
DOUBLE_FORK = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(sys.argv[1] + ".tmp", "w") as out:
            out.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(120)
    os._exit(0)
os.wait()
time.sleep(120)
"""
