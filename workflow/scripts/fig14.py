"""Rule fig14: transferability of the IGD by IGD group (paper Fig. 14) and its table."""

import numpy as np

from igd.analysis.figures import fig14_transferability
from igd.common.io import read_metadata, read_table, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance
from igd.analysis.transferability import pooled_atoms, transferability

sm = snakemake  # noqa: F821
setup(sm.log[0])
PROV = inherited_provenance(sm.input, rule=sm.rule)
p, inp = sm.params, sm.input
meta = [read_metadata(f) for f in inp.dynamics]
t = np.asarray(meta[0]["times_ps"], dtype=float)
q = float(meta[0]["params"]["q"])
for s, m in zip(p.samples, meta):
    if not np.allclose(m["times_ps"], t) or m["params"]["q"] != q:
        raise ValueError(f"{s}: dynamics times or q differ from {p.samples[0]}'s")
igd, i_bp, nu, g_atoms, disp = pooled_atoms(
    read_table(inp.igd), p.samples, [read_table(f) for f in inp.hessian],
    [read_table(f) for f in inp.vdos], [read_table(f) for f in inp.dynamics])
table, units = transferability(igd, i_bp=i_bp, nu=nu, g_atoms=g_atoms, t=t, disp=disp, q=q,
                               n_groups=p.groups, n_scalar_groups=p.scalar_groups,
                               bin_fraction=p.bin_fraction, bin_min_atoms=p.bin_min_atoms)
write_table(table, sm.output.table, provenance=PROV, units=units,
            params={"samples": p.samples, "set": p.transfer_set, "groups": p.groups,
                    "scalar_groups": p.scalar_groups, "bin_fraction": p.bin_fraction,
                    "bin_min_atoms": p.bin_min_atoms, "q": q, "temperature":
                    meta[0]["params"].get("temperature")})
label = "all samples" if p.transfer_set == "all" else "test sample " + ", ".join(p.samples)
fig14_transferability(table, sm.output.figure, t_max=float(t[-1]), q=q,
                      temperature=float(meta[0]['params']['temperature']),
                      sample_set=label)
