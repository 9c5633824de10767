"""Rules descriptors_local and structural_flexibility: the companion-paper descriptors
(PROTOCOL §10) of one sample, then SF over all samples (trained on the IGD training set)."""

from igd.common.config import grid
from igd.descriptors.local import add_structural_flexibility, local_descriptors
from igd.dynamics.md import displacements_from_table
from igd.common.io import read_metadata, read_table, write_json, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
PROV = inherited_provenance(sm.input, rule=sm.rule)
p = sm.params

if sm.rule == "descriptors_local":
    d, st = p.descriptors, p.structure
    ids, disp = displacements_from_table(read_table(sm.input.dynamics))
    table, radial, entropy_t, units = local_descriptors(
        sm.input.data, vmsd=read_table(sm.input.vmsd),
        hessian_atoms=read_table(sm.input.hessian), disp=disp, disp_ids=ids,
        times=read_table(sm.input.times), s2_rcs=d["s2_rc"], s2_sigma=st["s2_sigma"],
        s2_dr=st["dr"], kernel_truncate=st["kernel_truncate"],
        radial_r=grid(d["radial"]["r"]), radial_sigma=d["radial"]["sigma"],
        radial_cutoff=d["radial"]["cutoff"], elements=p.elements,
        entropy_weights=d["entropy_weights"], **d["voronoi"])
    params = {**{k: v for k, v in d.items() if k not in ("svr", "leaderboard")},
              "vflex_temperature_used": p.vflex_temperature, "s2_sigma": st["s2_sigma"],
              "s2_dr": st["dr"], "sample": sm.wildcards.sample}
    write_table(table, sm.output.local, provenance=PROV, units=units, params=params)
    write_table(radial, sm.output.radial, provenance=PROV, units=units, params=params)
    write_table(entropy_t, sm.output.entropy, provenance=PROV, units=units, params=params)
else:  # structural_flexibility
    local = {s: read_table(f) for s, f in zip(p.samples, sm.input.local)}
    radial = {s: read_table(f) for s, f in zip(p.samples, sm.input.radial)}
    tables, report = add_structural_flexibility(local, radial, test_samples=p.test_samples,
                                                seed=p.seed, **p.svr)
    for s, f_in, f_out in zip(p.samples, sm.input.local, sm.output.tables):
        meta = read_metadata(f_in)
        units = {**meta["units"], "SF": ""}
        write_table(tables[s], f_out, provenance=PROV,
                    units={c: units.get(c, "") for c in tables[s].columns},
                    params={**meta["params"], "svr": p.svr, "test_samples": p.test_samples})
    write_json(report, sm.output.model)
