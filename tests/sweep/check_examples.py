#!/usr/bin/env python3
"""The cluster recipes of docs/sweep.md work as written: the Slurm script passes `bash -n` and,
run as array tasks 1..3 of 3 (Slurm's variables set by hand), writes a sweep that merges; the
Kubernetes manifest is an Indexed Job whose pods run shards 1..N with N = completions; the
Dockerfile builds on Debian 12 with scripts/bootstrap.sh.
Usage: check_examples.py SOURCE_DIR SCXSIM_BINARY WORK_DIR"""
import os
import re
import shutil
import subprocess
import sys

import yaml

src, scxsim, work = sys.argv[1:4]
examples = os.path.join(src, "examples", "sweep")


def check(cond, what):
    if not cond:
        sys.exit("check_examples: " + what)


def slurm():
    script = os.path.join(examples, "slurm.sh")
    check(subprocess.run(["bash", "-n", script]).returncode == 0, "slurm.sh: bash -n fails")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    sweep = os.path.join(work, "sweep.json")
    with open(sweep, "w") as f:
        f.write('{"schedulers": ["eevdf", "vtime"], "workloads": ["demo"], "seeds": 2, "duration": "10ms"}\n')
    out = os.path.join(work, "results")
    for task in (1, 2, 3):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_COUNT="3", SCXSIM=scxsim)
        run = subprocess.run(["bash", script, sweep, out], env=env, capture_output=True, text=True)
        check(run.returncode == 0, "slurm.sh task %d: %s" % (task, run.stderr))
        check("shard %d/3" % task in run.stderr, "slurm.sh task %d ran: %s" % (task, run.stderr))
    merged = subprocess.run([scxsim, "sweep", "merge", out], capture_output=True, text=True)
    check(merged.returncode == 0, "merging the Slurm tasks' results: " + merged.stderr)
    unset = subprocess.run(["bash", script, sweep, out], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True)
    check(unset.returncode != 0 and "array job" in unset.stderr, "slurm.sh outside an array job must say so")


def k8s():
    with open(os.path.join(examples, "k8s-job.yaml")) as f:
        job = yaml.safe_load(f)
    check(job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "k8s-job.yaml: not a batch/v1 Job")
    spec = job["spec"]
    check(spec["completionMode"] == "Indexed", "k8s-job.yaml: completionMode is not Indexed")
    n = spec["completions"]
    container = spec["template"]["spec"]["containers"][0]
    command = container["command"] + container["args"]
    check(command[:2] == ["sh", "-c"], "k8s-job.yaml: the command is not sh -c")
    shard = re.search(r"--shard (.+?) --out", command[2])
    check(shard is not None and shard.group(1) == "$((JOB_COMPLETION_INDEX + 1))/%d" % n,
          "k8s-job.yaml: --shard is not $((JOB_COMPLETION_INDEX + 1))/completions")
    # Each pod's shell turns its index into a shard: 1..N, each once (scxsim stubbed out).
    shards = []
    for index in range(n):
        stub = 'scxsim() { echo "$@"; }; ' + command[2]
        run = subprocess.run(["sh", "-c", stub], env={"JOB_COMPLETION_INDEX": str(index), "PATH": os.environ["PATH"]},
                             capture_output=True, text=True)
        shards.append(re.search(r"--shard (.+?) --out", run.stdout).group(1))
    check(shards == ["%d/%d" % (i, n) for i in range(1, n + 1)], "k8s-job.yaml: pods run shards " + " ".join(shards))
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    check("/results" in mounts and "--out /results" in command[2], "k8s-job.yaml: results are not on the volume")


def dockerfile():
    with open(os.path.join(examples, "Dockerfile")) as f:
        text = f.read()
    check(re.search(r"^FROM debian:12\b", text, re.M), "Dockerfile: not FROM debian:12")
    check("scripts/bootstrap.sh" in text, "Dockerfile: does not build with scripts/bootstrap.sh")


slurm()
k8s()
dockerfile()
print("examples/sweep: slurm.sh, k8s-job.yaml and Dockerfile check out")
