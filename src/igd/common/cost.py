"""What a config costs, before anything runs: the one cost model of the workflow.

Every number about the cost of a job comes from here: the rules' requested ``runtime`` and
``mem_mb`` (:func:`job_resources`, through ``rule_resources`` in workflow/rules/common.smk)
and ``python -m igd.common.cost --configfile config/paper.yaml`` (``igd-cost``), which prints
one row per stage: Snakemake jobs, SLURM submissions after the profile's ``groups`` /
``group-components`` and without the cheap rules run in the main process
(:func:`local_rules`), core-hours (CPU time from :class:`CostModel`, without margins), the
longest job's CPU hours and the longest wall time a job of the stage requests.

A job's requested runtime is its expected wall time on the cores it asks for
(:func:`job_cores`) times a stated margin, at least 10 minutes, times the retry ``attempt``.
A melt-quench whose request would exceed the partition's limit (``cluster.max_job_hours``)
runs as :func:`glass_segments` jobs (``glass_segment`` × n − 1, then ``glass``), each
asking for at most the limit.
The stages, rules and job counts come from the workflow's files (:mod:`igd.common.rules`:
the ``workflow/rules/<stage>.smk`` file defining a rule is its stage; one job per value of
its output wildcards), tested equal to ``snakemake -n``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from igd.common.config import grid
from igd.common.rules import read_profile, rule_jobs, stages, submissions  # noqa: F401
from igd.common.rules import target_rules, workflow_rules  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]

MD_MARGIN = 2.0
"""Safety factor of the MD rules (glass, vmsd, dynamics): the slowest single-core MD rate
measured, 4.2 µs per atom-step (19 652 atoms at 12 steps/s on a loaded core, README
"Benchmarks"), is 1.9× :attr:`CostModel.md_s_per_atom_step`."""
MARGIN = 3.0
"""Safety factor of every other rule. ARTn: the default run's chunks took 297–588 s of wall
time around 336 s of CPU (1.75×), and 7 ms per 500-atom force call was measured on a loaded
machine (2.7× the model); AQS: 0.6–0.75 s of wall per minimisation in the default run
against the model's 0.35 s (2.1×)."""
MIN_RUNTIME = 10
"""Minutes: the shortest runtime any job asks for (start-up, scheduling, small rules)."""

MPI_RULES = ("glass", "glass_segment", "aqs", "vmsd", "hessian", "dynamics")
"""The LAMMPS rules started under MPI: ``lammps.mpi_tasks`` ranks × ``lammps.threads``
(``rule_resources(rule, mpi=True)``; tested against the rule files)."""
MD_RULES = ("glass", "glass_segment", "vmsd", "dynamics")
"""The MD rules (requests × :data:`MD_MARGIN`)."""
SEGMENTED_RULES = ("glass", "glass_segment")
"""The rules of a melt-quench split into segments (:func:`glass_segments`)."""
COMPUTE_RULES = (*MPI_RULES, "artn_chunk", "import_glass", "learn")
"""The rules sized by the config (:func:`job_cores`): always cluster jobs, at any size."""


@dataclass(frozen=True)
class CostModel:
    """Measured CPU costs on one core, each with its source (README "Measured times",
    "Benchmarks", the benchmarks/ scripts). Costs are linear in atoms and steps.

    md_s_per_atom_step: MD, s per atom per step: 2.2 µs, the default run's 500-atom glass
        job (71 s CPU for 65 000 steps: 71 / 65 000 / 500 = 2.2e-6).
    min_s_per_atom: one CG minimisation, s per atom at 500 atoms: 7e-4, bench_aqs.py on 500 atoms
        (0.25–0.44 s CPU, 0.35 s / 500) and FIRE on 13 500 atoms (9.4 s / 13 500); CG on
        13 500 atoms is cheaper (1.7–2.0 s).
    min_size_exponent: a minimisation's cost per atom grows as (atoms / 500) to this power
        (more CG iterations in a bigger, softer box): 0.47, from 7e-4 s at 500 atoms and
        4.0e-3 s per atom per AQS step at 19 652 atoms (the rehearsal: 398 s CPU for 5 steps
        of one direction; its glass job's three tighter minimisations ≈ 320 s).
    artn_calls_per_attempt: force calls per ARTn attempt without the connectivity check
        (``relax_final: false``): 350 (bench_artn.py median 354 per converged saddle; 351
        in the default run of bc547d7).
    artn_success: fraction of attempts that converge, without the check: 0.65 (62–65 %,
        bench_artn.py and that default run); with at most m attempts an event takes
        (1 − (1 − p)^m) / p, 1.54 at m = 10.
    artn_connected_calls_per_attempt, artn_connected_success: the same with the check
        (``relax_final: true``, the default): 435 calls per attempt, its back-side
        relaxation included, and 0.31 of the attempts end on a connected saddle (the
        default run of 3687bf7: 4 027 460 calls over 9 248 attempts, 2 852 accepted, of
        3 000 events; bench_artn.py on 75 atoms × 2 events: 443 and 0.28). Open events
        close less often after many attempts than this constant rate says (4.9 % open
        after 10 attempts, the constant rate 2.5 %), which costs a few % more attempts.
    artn_s_per_atom_call: s per atom per force call, Python driver included: 5.2 µs.
        The default run: 67.3 min CPU over 12 artn_chunk jobs = 336 s per job of
        125 atoms × 2 events × 1.54 attempts × 350 calls = 134 750 calls, i.e. 2.5 ms per
        500-atom call = 5.0 µs per atom (430 s of wall per job on shared cores: 6.4 µs);
        bench_artn_local.py: a full-box call 101–104 ms at 19 652 atoms, 5.1–5.3 µs per
        atom at both 18 000 and 22 500 atoms (LAMMPS' limit, linear in N). The two
        earlier constants were 4.0 µs (255 s CPU per job in an earlier default run) and
        14 µs (7 ms per 500-atom call, a loaded machine's wall time: 2.7× the CPU cost,
        now covered by :data:`MARGIN`). In the local mode a call costs
        :func:`local_call_atoms` atoms: 1 970 for the paper's 20 Å sphere, 10 ms, where
        bench_artn_local.py measured 6.4–6.6 ms (conservative by 1.55×).
    artn_refine_calls: force calls of the local mode's refinement of a converged saddle:
        105 (median from 12 to 20 Å at 0.005 eV/Å; 36 at 0.05 eV/Å; bench_artn_local.py).
    artn_local_core_extra: Å added to a carved sphere's radius for its cost: 6.5 (density
        range 6 Å + margin 0.5 Å of Mendelev CuZr; :func:`local_call_atoms`).
    artn_local_exact_shell: the exact EAM frozen shell (``frozen_shell: null``), Å: 12.5,
        max(pair range, 2 × density range) + margin for Mendelev CuZr.
    hessian_force_s, hessian_eigh_s: the dense Hessian of 500 atoms (README
        "Benchmarks"): 9.4 s of ``dynamical_matrix`` (6N calls, ∝ N², on every rank)
        and 2 s of ``eigh`` (∝ N³, rank 0 alone).
    hessian_kpm_s_per_atom: the sparse route above ``hessian.max_dense_atoms``, s per
        atom per KPM probe set: 0.11 (the 19 652-atom rehearsal's whole sparse route, one
        set, 178 moments, 77 colours: 2 298 s CPU and 1.23 GB peak on a loaded core; the
        earlier 0.05 was extrapolated from 16 probes, bench_hessian_sparse.py); rank 0
        alone.
    hessian_build_s_per_atom: assembling the sparse EAM Hessian: 4.1e-3 (82 s on 20 000
        atoms, bench_hessian_sparse.py).
    hessian_modes_s_per_atom_vector: the exact lowest modes of the sparse route
        (Chebyshev-filtered subspace iteration: iterations of 22 products of D with a
        block of k + buffer vectors, k = the largest fraction's modes), s per atom per
        vector: 3.4e-4 (the rehearsal's s0 hessian job, 19 652 atoms, 630 vectors: 8
        iterations, 4 203 s wall on one core; on 2 000 atoms, 100 vectors, 4 iterations
        took 22 s where this says 68 s).
    descriptors_s_per_atom: the local descriptors (Voronoi per frame of the 700 K run):
        4e-3, ~2 s on 500 atoms (smoke run: 2.0–2.3 s CPU, start-up included).
    structure_s_per_atom: G + S2 features: 1.7e-4 (bench_structure.py: 3.0–3.6 s CPU for
        19 652 atoms).
    analysis_s_per_atom: the neighbour passes of ``analysis`` and ``leaderboard`` over all
        samples' atoms: 2.9e-3, a bound from the smoke run (1.9 and 2.9 s CPU for
        2 × 500 atoms, start-up included).
    svm_fit_s: one SVM fit on 2 000 rows, the mean over LIBSVM's 110-point grid: 0.34 s
        (37.6 s CPU for the grid, bench_svm.py), ∝ rows^svm_exponent.
    svm_exponent: 2.25, the median of the measured 2.19–2.50 (bench_svm.py).
    svm_models: models fitted by ``learn`` (igd.learning.svm.DEFAULT_MODELS: all, vmsd,
        dQ, G, S2).
    job_overhead_s: Snakemake and Python start-up of every job, and the whole of the small
        rules: 5 s (smoke run: figures 1.5–3.4 s CPU, fig14 5.4 s).
    sq_s_per_atom: S(q) of the 700 K run's frames (``structure_factor``): 2.0e-3 (45 s CPU
        at 19 652 atoms in the rehearsal, 40 s above the start-up; 5.6 s at 500 atoms).
    glass_start_s_per_atom: the melt-quench's random start, paid by its first job:
        ``create_atoms random`` with overlap checks and the ≤ 1 000-iteration
        contact-removal minimisation: 0.016 s per atom (the 19 652-atom rehearsal,
        config/rehearsal.yaml: segment 0 took 469–499 s CPU, segment 1, the same MD share,
        157–183 s: ≈ 315 s; 1 000 iterations, 1 406 force calls, create_atoms 71 s wall).
        At 500 atoms ≈ 2 s (270 iterations): over-estimated, and negligible.
    flexibility_s_per_atom: ``structural_flexibility`` over all samples' atoms: 1.0e-3
        (the rehearsal: 44 s CPU for 2 × 19 652 atoms under load; it was priced as a small
        rule, 5 s, and ran in the main process: at paper size ≈ 200 s, a cluster job).
    snapshots_s_per_atom: the OVITO renders of ``snapshots`` (one sample): 5e-4 (the
        rehearsal: 14.7 s CPU, 45 s wall under load, at 19 652 atoms; smoke 8 s at 500).
    """

    md_s_per_atom_step: float = 2.2e-6
    min_s_per_atom: float = 7.0e-4
    min_size_exponent: float = 0.47
    artn_calls_per_attempt: float = 350.0
    artn_success: float = 0.65
    artn_connected_calls_per_attempt: float = 435.0
    artn_connected_success: float = 0.31
    artn_s_per_atom_call: float = 5.2e-6
    artn_refine_calls: float = 105.0
    artn_local_core_extra: float = 6.5
    artn_local_exact_shell: float = 12.5
    hessian_force_s: float = 9.4
    hessian_eigh_s: float = 2.0
    hessian_kpm_s_per_atom: float = 0.11
    hessian_build_s_per_atom: float = 4.1e-3
    hessian_modes_s_per_atom_vector: float = 3.4e-4
    descriptors_s_per_atom: float = 4.0e-3
    structure_s_per_atom: float = 1.7e-4
    analysis_s_per_atom: float = 2.9e-3
    svm_fit_s: float = 0.34
    svm_exponent: float = 2.25
    svm_models: float = 5.0
    job_overhead_s: float = 5.0
    glass_start_s_per_atom: float = 0.016
    sq_s_per_atom: float = 2.0e-3
    flexibility_s_per_atom: float = 1.0e-3
    snapshots_s_per_atom: float = 5.0e-4


class JobCost(NamedTuple):
    """CPU seconds of one job: ``parallel`` runs on all its cores, ``serial`` on one
    (start-up, rank 0's linear algebra)."""

    parallel: float
    serial: float

    @property
    def cpu(self) -> float:
        return self.parallel + self.serial

    def wall(self, cores: int) -> float:
        """Expected wall seconds on ``cores`` cores (perfect scaling of ``parallel``)."""
        return self.parallel / max(1, cores) + self.serial


def minimisation_s(n_atoms: int, model: CostModel) -> float:
    """CPU seconds of one CG minimisation of ``n_atoms`` (the AQS step, the glass job's
    three): ``min_s_per_atom`` at 500 atoms, per atom × (n / 500)^``min_size_exponent``."""
    return n_atoms * model.min_s_per_atom * (n_atoms / 500) ** model.min_size_exponent


def local_call_atoms(radius: float, density: float, model: CostModel,
                     shell: float | None = None, exclude: bool = True) -> float:
    """Atoms a force call on a carved ARTn sphere of active ``radius`` (Å) costs as many
    of the full box: those within radius + ``shell`` (the frozen shell, None: the exact
    one, ``model.artn_local_exact_shell``), but with ``exclude`` (``local_exclude``) at
    most those of the kept-interaction core, radius + density range + margin
    (``model.artn_local_core_extra``): the outer frozen shell only meets the core."""
    extra = model.artn_local_exact_shell if shell is None else float(shell)
    if exclude:
        extra = min(extra, model.artn_local_core_extra)
    return density * 4.0 / 3.0 * math.pi * (radius + extra) ** 3


def _artn_chunk_s(config: Mapping[str, Any], model: CostModel) -> float:
    """CPU seconds of one ARTn chunk: searches × attempts × calls × atoms per call."""
    art, n = config["artn"], config["system"]["n_atoms"]
    search = art["search"]
    events = math.ceil(n / art["atom_stride"]) * search["n_events"] / art["chunks"]
    m = search.get("max_attempts", 10)
    if search.get("relax_final", True):
        p, per_attempt = model.artn_connected_success, model.artn_connected_calls_per_attempt
    else:
        p, per_attempt = model.artn_success, model.artn_calls_per_attempt
    attempts = (1 - (1 - p) ** m) / p if m > 0 else 0.0
    calls = events * attempts * per_attempt
    if not search.get("local"):
        return calls * n * model.artn_s_per_atom_call
    rho = config["system"]["initial"]["density"]
    shell, exclude = search.get("frozen_shell"), search.get("local_exclude", True)
    atoms = calls * local_call_atoms(search["local_radius"], rho, model, shell, exclude)
    refine = search.get("local_refine_radius")
    if refine is not None:   # every converged event again on the larger sphere
        atoms += (events * (1 - (1 - p) ** m) * model.artn_refine_calls
                  * local_call_atoms(refine, rho, model, shell, exclude))
    return atoms * model.artn_s_per_atom_call


def _learn_s(config: Mapping[str, Any], model: CostModel) -> float:
    """CPU seconds of ``learn``: the CV grid (points × folds fits per model, on at most
    ``cv_max_rows`` rows) and one refit per model on all training rows, a quarter of the
    training samples' atoms (≤ 12.5 % rearranged, balanced)."""
    lc = config["learning"]
    n_test = len(lc.get("test_samples") or [None])
    rows = config["system"]["n_atoms"] * max(1, config["n_samples"] - n_test) // 4
    cv_rows = min(rows, lc.get("cv_max_rows") or rows)
    fit = lambda r: model.svm_fit_s * (max(r, 500) / 2000) ** model.svm_exponent  # noqa: E731
    points = len(grid(lc["log2C"])) * len(grid(lc["log2gamma"]))
    return model.svm_models * (points * lc["cv_folds"] * fit(cv_rows) + fit(rows))


def _glass_md_s(config: Mapping[str, Any], model: CostModel) -> float:
    """CPU seconds of one sample's melt-quench MD (every phase, all segments)."""
    from igd.glass.quench import phase_steps  # noqa: PLC0415

    n = config["system"]["n_atoms"]
    return sum(phase_steps(config["glass"]).values()) * n * model.md_s_per_atom_step


def glass_segments(config: Mapping[str, Any], model: CostModel = CostModel()) -> int:
    """Jobs one sample's melt-quench runs as: the fewest equal MD segments such that the
    last (its MD share, the three minimisations, start-up) asks for at most
    ``cluster.max_job_hours`` (wall time on :func:`job_cores` × :data:`MD_MARGIN`).
    1 = the unsegmented job. Raises ValueError if even the MD-free part does not fit.

    ``cluster.glass_segments`` (an integer) pins the count instead: the plan of a study
    already run, so that a new cost model (another igd version) does not re-plan its glass
    and rerun everything downstream (:func:`plan_keys`)."""
    pinned = config["cluster"].get("glass_segments")
    if pinned is not None:
        return int(pinned)
    cores = job_cores("glass", config)
    n = config["system"]["n_atoms"]
    limit = config["cluster"]["max_job_hours"] * 3600
    budget = cores * (limit / MD_MARGIN - model.job_overhead_s) - 3 * minimisation_s(n, model)
    if budget <= 0:
        raise ValueError(f"cluster.max_job_hours = {config['cluster']['max_job_hours']:g}: "
                         "shorter than the glass job's minimisation and start-up alone")
    return max(1, math.ceil(_glass_md_s(config, model) / budget))


def checkpoint_steps(config: Mapping[str, Any], model: CostModel = CostModel()) -> int:
    """MD steps between the in-segment checkpoints of the glass jobs
    (:class:`igd.glass.segments.Checkpoints`): ``cluster.checkpoint_minutes`` of expected
    wall time (``md_s_per_atom_step`` × atoms per step on :func:`job_cores` cores); 0 (no
    checkpoints, and no param: today's jobs) when it is 0 or not shorter than one segment's
    MD. A killed job loses at most this much MD (× the machine's slowness) plus start-up.
    ``cluster.checkpoint_steps`` (an integer, 0 = none) pins it instead (:func:`plan_keys`)."""
    pinned = config["cluster"].get("checkpoint_steps")
    if pinned is not None:
        return int(pinned)
    minutes = config["cluster"].get("checkpoint_minutes", 0)
    if not minutes:
        return 0
    step_s = config["system"]["n_atoms"] * model.md_s_per_atom_step / job_cores("glass", config)
    every = max(1, math.floor(minutes * 60 / step_s))
    segment = math.ceil(_glass_md_s(config, model) / config["system"]["n_atoms"]
                        / model.md_s_per_atom_step / glass_segments(config, model))
    return every if every < segment else 0


def plan_keys(config: Mapping[str, Any], model: CostModel = CostModel()) -> dict[str, int]:
    """The glass plan that the cost model makes from ``cluster.max_job_hours`` and
    ``cluster.checkpoint_minutes``: ``{"glass_segments": n, "checkpoint_steps": k}``. Both
    are glass params (segment and checkpoint boundaries change the trajectory in its last
    bits), so a cost model that predicts another MD rate would re-plan them and rerun the
    glass of a finished study; pinning them under ``cluster:`` keeps the plan."""
    return {"glass_segments": glass_segments(config, model),
            "checkpoint_steps": checkpoint_steps(config, model)}


def job_cost(rule: str, config: Mapping[str, Any], model: CostModel = CostModel()) -> JobCost:
    """CPU seconds of one job of ``rule`` under ``config`` (start-up included); rules
    without a formula below cost the start-up alone."""
    n, s = config["system"]["n_atoms"], config["n_samples"]
    md = n * model.md_s_per_atom_step
    par = ser = 0.0
    segments = glass_segments(config, model) if rule in SEGMENTED_RULES else 1
    random = config["system"]["initial"]["structure"] == "random"
    start = n * model.glass_start_s_per_atom if random else 0.0   # the first job's start
    if rule == "glass":   # its MD share, then three minimisations (fixed box, box relaxed, fixed box)
        par = _glass_md_s(config, model) / segments
        par += 3 * minimisation_s(n, model) + (start if segments == 1 else 0.0)
    elif rule == "import_glass":   # a glass from a file: the glass rule's three minimisations
        par = 3 * minimisation_s(n, model)
    elif rule == "glass_segment":   # an earlier segment: MD only; the first also starts
        # the glass (spread over the segment jobs: the total is exact, each job's request
        # within its margin while the start is small against a segment)
        par = _glass_md_s(config, model) / segments + start / max(1, segments - 1)
    elif rule == "aqs":
        sh = config["shear"]
        par = round(sh["strain_max"] / sh["strain_step"]) * minimisation_s(n, model)
    elif rule == "vmsd":
        v = config["vmsd"]
        par = (v["duration"] + v["equilibration"]) / v["timestep"] * md
    elif rule == "dynamics":   # equilibration, then origins (n − 1) intervals apart + t_max
        d = config["dynamics"]
        ps = d["equilibration"] + (d["n_origins"] - 1) * d["origin_interval"] + d["t_max"]
        par = ps / d["timestep"] * md
    elif rule == "artn_chunk":
        par = _artn_chunk_s(config, model)
    elif rule == "hessian":
        h = config["hessian"]
        if n <= h["max_dense_atoms"]:   # force calls on every rank, eigh on rank 0
            par = model.hessian_force_s * (n / 500) ** 2
            ser = model.hessian_eigh_s * (n / 500) ** 3
        else:   # sparse EAM Hessian, lowest modes, KPM local DOS: rank 0 alone
            ser = n * (model.hessian_build_s_per_atom
                       + model.hessian_kpm_s_per_atom * h["sparse"]["realisations"]
                       + model.hessian_modes_s_per_atom_vector * _mode_vectors(config))
    elif rule == "learn":
        par = _learn_s(config, model)
    elif rule == "structure":
        ser = n * model.structure_s_per_atom
    elif rule == "descriptors_local":
        ser = n * model.descriptors_s_per_atom
    elif rule in ("analysis", "leaderboard"):
        ser = n * s * model.analysis_s_per_atom
    elif rule == "structure_factor":
        ser = n * model.sq_s_per_atom
    elif rule == "structural_flexibility":
        ser = n * s * model.flexibility_s_per_atom
    elif rule == "snapshots":
        ser = n * model.snapshots_s_per_atom
    elif rule == "predict":   # one sample's features through the saved SVM
        ser = n * model.analysis_s_per_atom
    return JobCost(par, ser + model.job_overhead_s)


def job_cores(rule: str, config: Mapping[str, Any]) -> int:
    """Cores one job of ``rule`` asks for: ``lammps.threads × lammps.mpi_tasks`` for the
    MPI rules, ``lammps.threads`` for ``artn_chunk`` and ``import_glass``,
    ``learning.threads`` for ``learn``, else 1 (the rules' ``threads:`` and
    ``resources.tasks``)."""
    lmp = config["lammps"]
    if rule in MPI_RULES:
        return lmp["threads"] * lmp["mpi_tasks"]
    if rule in ("artn_chunk", "import_glass"):
        return lmp["threads"]
    if rule == "learn":
        return config["learning"]["threads"]
    return 1


def job_runtime(rule: str, config: Mapping[str, Any], attempt: int = 1,
                model: CostModel = CostModel()) -> int:
    """Minutes one job of ``rule`` asks for: its wall time on :func:`job_cores` cores ×
    :data:`MD_MARGIN` (MD rules) or :data:`MARGIN`, at least :data:`MIN_RUNTIME`, ×
    the retry ``attempt``. The glass jobs (segments of :func:`glass_segments`) never ask
    for more than ``cluster.max_job_hours`` (a partition rejects them), retries and the
    floor included."""
    margin = MD_MARGIN if rule in MD_RULES else MARGIN
    wall = job_cost(rule, config, model).wall(job_cores(rule, config))
    minutes = math.ceil(max(MIN_RUNTIME, margin * wall / 60)) * attempt
    if rule in SEGMENTED_RULES:
        minutes = min(minutes, max(1, math.floor(config["cluster"]["max_job_hours"] * 60)))
    return minutes


def _mode_vectors(config: Mapping[str, Any]) -> int:
    """Vectors of the sparse route's subspace iteration: the largest fraction's lowest
    modes (:func:`igd.hessian.modes.n_lowest` of 3N − n_zero) + ``modes_buffer``."""
    from igd.hessian.modes import n_lowest  # noqa: PLC0415

    h, n = config["hessian"], config["system"]["n_atoms"]
    if not h["fractions"]:
        return 0
    return n_lowest(max(h["fractions"]), 3 * n - h["n_zero"]) + h["sparse"]["modes_buffer"]


def job_mem_mb(rule: str, config: Mapping[str, Any], threads: int = 1) -> int:
    """MB of memory one job of ``rule`` asks for (1 GB for the small rules)."""
    n, s = config["system"]["n_atoms"], config["n_samples"]
    if rule in ("glass", "glass_segment", "import_glass", "aqs", "vmsd", "dynamics",
                "artn_chunk", "descriptors_local"):
        return 1000 + n // 10
    if rule == "hessian":
        if n <= config["hessian"]["max_dense_atoms"]:   # matrix + eigenvectors, 2·(3N)²·8 B
            return 1000 + int(2.2 * (3 * n) ** 2 * 8 / 1e6)
        # sparse: 4.7 GB measured at 20 000 atoms (the assembly) + the subspace
        # iteration's ~4 blocks of 3N × vectors
        return 1000 + n // 4 + int(4 * 3 * n * _mode_vectors(config) * 8 / 1e6)
    if rule == "learn":   # a kernel cache and a copy of the rows per process
        return 1000 + threads * (config["learning"]["cache_size_mb"] + n // 10)
    if rule in ("structure", "features"):
        return 1000 + n // 20
    if rule in ("rdf", "structure_factor", "snapshots"):
        return 2000
    if rule in ("analysis", "leaderboard"):
        return 2000 + n // 5
    if rule == "ovito_dump":
        return 1000 + n // 5
    if rule == "fig14":
        return 1000 + n * s // 5
    if rule == "fig06":   # all samples' displacement histories: N·K·3 doubles, 3 copies
        return 1000 + 3 * s * n * 200 * 24 // 10**6
    if rule == "structural_flexibility":
        return 1000 + n * s // 50
    return 1000


def job_resources(rule: str, config: Mapping[str, Any], *, attempt: int = 1,
                  threads: int = 1) -> dict[str, int]:
    """``mem_mb`` (:func:`job_mem_mb`, ``threads`` the job's) and ``runtime`` (minutes,
    :func:`job_runtime`) one job of ``rule`` asks for under ``config``; the rules'
    ``resources`` come from here (``rule_resources`` in workflow/rules/common.smk)."""
    return {"mem_mb": job_mem_mb(rule, config, threads),
            "runtime": job_runtime(rule, config, attempt)}


_TABLE = ("LOCAL_MAX_SECONDS", "LOCAL_MAX_MB", "local_rules", "rule_cpu_seconds", "estimate",
          "format_table", "merge", "load_config", "measured", "format_measured", "main")


def __getattr__(name: str) -> Any:
    """The run-level functions of :mod:`igd.common.cost_table` under their old names here
    (``igd-cost`` is ``igd.common.cost:main``; tests and rules call ``cost.local_rules``)."""
    if name in _TABLE:
        from igd.common import cost_table  # noqa: PLC0415  (it imports this module)

        return getattr(cost_table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    from igd.common.cost_table import main as _main

    raise SystemExit(_main())
