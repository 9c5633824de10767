"""Kill the smoke workflow in the middle of a long rule and resume it.

The suite's smoke run is itself the killed one (``conftest.smoke_killed``, ``killing``):
SIGKILLed with every job once an ARTn chunk or AQS job has run for 3 s, then unlocked and
resumed with ``--rerun-incomplete``. Determinism (the resumed run's tables equal an
uninterrupted run's) is checked against the run through SLURM (``test_slurm.py``).
"""

from __future__ import annotations

import pytest

from conftest import run_snakemake
from killing import SMOKE, assert_readable, outputs

pytestmark = pytest.mark.workflow


def test_kill_leaves_no_half_written_file_and_resume_redoes_only_the_killed(
        smoke_killed):
    r = smoke_killed
    work, job = r["work"], r["job"]
    assert job is not None, "no long rule (ARTn chunk or AQS) was seen running"
    assert r["readable"] is None, f"a half-written file at a final path: {r['readable']}"
    sample, name = job.split("/")
    # Snakemake knew the killed job was incomplete …
    rule, wildcard = name.split("_", 1)
    output = (f"results/{sample}/artn/chunks/{wildcard}_events.parquet" if rule == "artn"
              else f"results/{sample}/shear/{wildcard}.parquet")
    assert output in r["incomplete"], (output, r["incomplete"])
    # … and the resumed run redid it: its benchmark is written only on success
    bench = work / "results" / "benchmarks" / sample / f"{name}.tsv"
    assert bench.stat().st_mtime_ns > r["kill_time"]
    # every output complete at the kill time is untouched (temp() ones may be gone)
    finished = {p: t for p, t in r["before"].items() if p not in r["incomplete"]}
    assert finished, "nothing had finished before the kill"
    after = outputs(work)
    redone = [p for p, t in finished.items() if p in after and after[p] != t]
    assert not redone, f"finished outputs were recomputed: {redone}"
    assert_readable(work)
    assert "Nothing to be done" in run_snakemake(work, "-n", *SMOKE).stdout
