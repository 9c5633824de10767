"""Rule hessian: dense dynamical matrix of one IS, total/partial VDOS, per-atom I_BP and
participation fractions, and the VDOS of a few atoms (Fig. 5c, d)."""

from igd import vdos
from igd.io import write_table
from igd.lmp import provenance
from igd.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
h = sm.params.hessian
n_atoms = sm.params.n_atoms
if n_atoms > h["max_dense_atoms"]:
    gb = 2 * (3 * n_atoms) ** 2 * 8 / 1e9
    raise ValueError(
        f"config key 'hessian.max_dense_atoms': {n_atoms} atoms exceed the limit "
        f"{h['max_dense_atoms']} of the dense Hessian route ({gb:.3g} GB for the matrix and "
        "its eigenvectors); the sparse route (igd.vdos.hessian_vdos_sparse) is not finished "
        "for large samples. Raise the limit only with that much memory.")

vdos_df, atoms_df, units, diag = vdos.hessian_vdos(
    sm.input.data, potential=sm.params.potential, delta=h["delta"], sigma=h["sigma"],
    nu_grid=h["nu_grid"], band=h["band"], fractions=h["fractions"], n_zero=h["n_zero"],
    log_file=sm.log[0], threads=sm.threads, suffix=sm.params.lammps["suffix"],
    curve_atoms=h["curve_atoms"])
curves = diag.pop("curves")

params = {**h, "sample": sm.wildcards.sample}
prov = provenance(sm.params.potential, rule=sm.rule)
write_table(vdos_df, sm.output.vdos, units=units, params=params, provenance=prov,
            extra={"diagnostics": diag})
write_table(atoms_df, sm.output.atoms, units=units, params=params, provenance=prov,
            extra={"diagnostics": diag})
write_table(curves, sm.output.curves,
            units={**units, "g": "1/THz (N*g_i)", "g_over_nu2": "1/THz^3 (N*g_i/nu^2)"},
            params=params, provenance=prov)
