"""Rule artn_gather: one sample's ARTn chunks → events.parquet and barriers.parquet."""

import logging

import numpy as np
import pandas as pd

from igd.artn.tables import EVENTS_UNITS, barriers_units
from igd.common.io import read_metadata, read_table, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
log = logging.getLogger("artn_gather")
events = pd.concat([read_table(f) for f in sm.input.events], ignore_index=True)
barriers = pd.concat([read_table(f) for f in sm.input.barriers], ignore_index=True)
if barriers["id"].duplicated().any():
    raise ValueError(f"ARTn chunks of {sm.wildcards.sample} hold duplicate atoms")
atoms = read_table(sm.input.atoms, columns=["id", "type"])
barriers["searched"] = True
barriers = atoms.merge(barriers.drop(columns="type"), on="id", how="left", validate="1:1")
barriers["searched"] = barriers["searched"].fillna(False).astype(bool)
barriers["n_converged"] = barriers["n_converged"].fillna(0).astype(np.int64)
log.info("%d of %d atoms searched (atom_stride); the others have NaN barriers",
         int(barriers["searched"].sum()), len(barriers))
converged = events["status"] == "converged"
dq = barriers.filter(like="dQ_").to_numpy()
log.info("%d searches, %d converged (%.1f %%); median force calls per converged search %.0f; "
         "%d of %d atoms with every barrier found; %d barriers NaN",
         len(events), converged.sum(), 100 * converged.mean(),
         events.loc[converged, "force_calls"].median(), int(np.isfinite(dq).all(axis=1).sum()),
         len(barriers), int(np.isnan(dq).sum()))
log.info("status counts: %s", events["status"].value_counts().to_dict())
params = {k: v for k, v in read_metadata(sm.input.events[0])["params"].items() if k != "chunk"}
summary = {"searches": len(events), "converged_fraction": float(converged.mean()),
           "nan_barriers": int(np.isnan(dq).sum())}
prov = inherited_provenance([*sm.input.events, *sm.input.barriers], rule=sm.rule)
write_table(events, sm.output.events, units=EVENTS_UNITS, params=params, provenance=prov,
            extra={"summary": summary})
write_table(barriers, sm.output.barriers,
            units={**barriers_units(sm.params.n_events), "searched": ""},
            params=params, provenance=prov, extra={"summary": summary})
