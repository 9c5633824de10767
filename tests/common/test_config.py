"""The config schema and the relations between keys: bad configs fail naming the key."""

import copy

import pytest

from igd.common.config import ConfigError, derived_seed, load, sample_names, species_counts, validate

from conftest import ROOT, copy_workflow, run_snakemake


def _set(path, value):
    def edit(cfg):
        *parents, last = path.split(".")
        node = cfg
        for p in parents:
            node = node[p]
        node[last] = value
    return edit


def _drop(path):
    def edit(cfg):
        *parents, last = path.split(".")
        node = cfg
        for p in parents:
            node = node[p]
        del node[last]
    return edit


BAD = {
    "wrong type": (_set("n_samples", "three"), "n_samples"),
    "zero samples": (_set("n_samples", 0), "n_samples"),
    "unknown top-level key": (_set("n_smaples", 3), "n_smaples"),
    "unknown nested key": (_set("glass.quench_rat", 1e12), "glass.quench_rat"),
    "negative temperature": (_set("glass.t_melt", -100.0), "glass.t_melt"),
    "zero timestep": (_set("glass.timestep", 0.0), "glass.timestep"),
    "composition not summing to 1": (_set("system.composition", {"Cu": 0.6, "Zr": 0.6}),
                                     "system.composition"),
    "composition with an unknown element": (_set("system.composition", {"Cu": 0.5, "Al": 0.5}),
                                            "system.composition"),
    "fraction above 1": (_set("system.composition", {"Cu": 1.5, "Zr": -0.5}),
                         "system.composition"),
    "missing potential": (_drop("potential"), "potential"),
    "missing potential file key": (_drop("potential.file"), "potential.file"),
    "bad sha256": (_set("potential.sha256", "abc"), "potential.sha256"),
    "bad element name": (_set("potential.elements", ["cu", "Zr"]), "potential.elements"),
    "unknown barostat": (_set("glass.barostat", "isotropic"), "glass.barostat"),
    "retired max_lu_atoms": (_set("hessian.sparse.max_lu_atoms", 5000),
                             "hessian.sparse.max_lu_atoms"),
    "retired p_sigma": (_set("hessian.sparse.p_sigma", None), "hessian.sparse.p_sigma"),
    "b2 with 500 atoms": (_set("system.initial.structure", "b2"), "system.initial.structure"),
    "quench that heats": (_set("glass.t_final", 2500.0), "glass.t_final"),
    "no mass for an element": (_set("potential.masses", {"Cu": 63.5}), "potential.masses"),
    "negative seed": (_set("seed", -1), "seed"),
    "gamma_max not above the D2min interval": (_set("shear.strain_max", 2.0e-4), "shear.strain_max"),
    "D2min interval not a multiple of the step": (_set("shear.d2min_interval", 3.0e-4),
                                                  "shear.d2min_interval"),
    "unknown shear direction": (_set("shear.directions", ["xy", "xx"]), "shear.directions"),
    "test sample that does not exist": (_set("learning.test_samples", ["s7"]),
                                        "learning.test_samples"),
    "more test samples than samples": (_set("learning.test_samples", ["s0", "s1", "s2"]),
                                       "learning.test_samples"),
    "empty SVM grid": (_set("learning.log2C", {"start": 5, "stop": -3, "step": 2}), "learning.log2C"),
    "inverted boson-peak band": (_set("hessian.band", [6.0, 0.5]), "hessian.band"),
    "dynamics that end before they start": (_set("dynamics.t_max", 0.001), "dynamics.t_max"),
    "frames between timesteps": (_set("dynamics.frame_interval", 0.003),
                                 "dynamics.frame_interval"),
    "several origins at one time": (_set("dynamics.origin_interval", 0.0),
                                    "dynamics.origin_interval"),
    "no origin": (_set("dynamics.n_origins", 0), "dynamics.n_origins"),
    "unknown ARTn parameter": (_set("artn.search", {"n_event": 2}), "artn.search"),
    "negative ARTn push": (_set("artn.search", {"push_step": -0.1}), "artn.search.push_step"),
    "unknown initial structure": (_set("system.initial.structure", "fcc"),
                                  "system.initial.structure"),
    "zero glass segments": (_set("cluster.glass_segments", 0), "cluster.glass_segments"),
    "fractional checkpoint steps": (_set("cluster.checkpoint_steps", 2.5),
                                    "cluster.checkpoint_steps"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_rejected_naming_the_key(case, default_config):
    edit, key = BAD[case]
    cfg = copy.deepcopy(default_config)
    edit(cfg)
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert f"config key '{key}" in str(info.value)  # the key, or an item of it
    if case.startswith("retired"):
        assert "no longer exists" in str(info.value) and "modes_tol" in str(info.value)


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml", "smoke.yaml"])
def test_shipped_configs_are_valid(name):
    validate(load(ROOT / "config" / name))


def test_defaults_are_filled_in(default_config):
    cfg = copy.deepcopy(default_config)
    del cfg["rdf"]
    del cfg["lammps"]
    validate(cfg)
    assert cfg["rdf"] == {"r_max": 10.0, "dr": 0.02}
    assert cfg["lammps"]["threads"] == 1


def test_paper_config_is_the_paper():
    cfg = validate(load(ROOT / "config" / "paper.yaml"))
    assert cfg["system"]["n_atoms"] == 19652 and cfg["n_samples"] == 10
    g = cfg["glass"]
    assert (g["t_melt"], g["equilibrate_time"], g["quench_rate"], g["timestep"]) == \
        (2000.0, 2000.0, 1e10, 0.002)
    side = (19652 / cfg["system"]["initial"]["density"]) ** (1 / 3)
    assert 68 < side < 72


def test_b2_start_needs_a_cubic_supercell(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["system"]["n_atoms"] = 2 * 5**3
    cfg["system"]["initial"]["structure"] = "b2"
    validate(cfg)


def test_grids():
    from igd.common.config import grid

    mus = grid({"start": 1.5, "stop": 7.5, "step": 0.2})
    assert len(mus) == 31 and mus[0] == 1.5 and mus[-1] == 7.5
    assert len(grid({"start": 3.0, "stop": 15.0, "step": 0.5})) == 25


def test_species_counts_and_seeds():
    assert species_counts(500, {"Cu": 0.5, "Zr": 0.5}, ["Cu", "Zr"]) == {"Cu": 250, "Zr": 250}
    assert species_counts(19652, {"Cu": 0.64, "Zr": 0.36}, ["Cu", "Zr"]) == \
        {"Cu": 12577, "Zr": 7075}
    assert sample_names({"n_samples": 3}) == ["s0", "s1", "s2"]
    seeds = {derived_seed(1, k, 0) for k in range(100)}
    assert len(seeds) == 100 and all(1 <= s < 2**31 for s in seeds)
    assert derived_seed(1, 2, 3) == derived_seed(1, 2, 3)


def test_workflow_refuses_bad_config_before_any_job(tmp_path):
    work = copy_workflow(tmp_path / "wf")
    cfg = load(work / "config" / "config.yaml")
    cfg["glass"]["quench_rat"] = 1e12
    import yaml

    (work / "bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(work, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "config key 'glass.quench_rat'" in proc.stdout + proc.stderr
    assert not (work / "results").exists()


def test_workflow_refuses_missing_or_wrong_potential(tmp_path):
    work = copy_workflow(tmp_path / "wf")
    (work / "potentials" / "CuZr_mm.eam.fs").write_text("garbage\n")
    proc = run_snakemake(work, "-n", check=False)
    assert proc.returncode != 0
    assert "potential.sha256" in proc.stdout + proc.stderr
    (work / "potentials" / "CuZr_mm.eam.fs").unlink()
    proc = run_snakemake(work, "-n", check=False)
    assert proc.returncode != 0
    assert "potential.file" in proc.stdout + proc.stderr
