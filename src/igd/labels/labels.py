"""Per-atom plasticity labels of a sample from its AQS runs (PROTOCOL §2, paper Fig. 3).

An atom is *rearranged* when its largest ΔD²min over the strain path of any shear
direction (:func:`igd.labels.aqs.run_aqs`) exceeds the threshold (paper 0.05 Å² with the
``"mean"`` normalisation).
"""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np
import pandas as pd

from igd.labels.aqs import DIRECTIONS

log = logging.getLogger(__name__)

LABEL_UNITS = {"id": "", "type": "", "dd2min_max": "Å^2", "rearranged": "",
               "direction_at_max": "", "strain_at_max": "",
               **{f"dd2min_max_{d}": "Å^2" for d in DIRECTIONS}}


def make_labels(shear_tables: Mapping[str, pd.DataFrame], types: pd.DataFrame,
                threshold: float) -> pd.DataFrame:
    """Per-atom plasticity labels: max ΔD²min over the shear directions > ``threshold``.

    Parameters
    ----------
    shear_tables : direction → per-atom table of :func:`igd.labels.aqs.run_aqs`
        (``id, dd2min_max, strain_at_max``); all over the same atoms.
    types : table with columns ``id, type`` (e.g. ``glass/atoms.parquet``).
    threshold : ΔD²min threshold (Å², paper 0.05, same normalisation as the tables).

    Returns ``id, type, dd2min_max, rearranged`` (bool) plus ``direction_at_max``,
    ``strain_at_max`` and ``dd2min_max_<direction>`` — units :data:`LABEL_UNITS`.
    The rearranged fraction is logged.
    """
    if not shear_tables:
        raise ValueError("no shear tables given")
    dirs = list(shear_tables)
    base = types[["id", "type"]].sort_values("id").reset_index(drop=True)
    vals, strains = [], []
    for d in dirs:
        t = shear_tables[d].set_index("id").reindex(base["id"])
        if t["dd2min_max"].isna().any():
            raise ValueError(f"shear table {d!r} lacks atoms (or has NaN) for some ids")
        vals.append(t["dd2min_max"].to_numpy(float))
        strains.append(t["strain_at_max"].to_numpy(float))
    vals_a, strains_a = np.array(vals), np.array(strains)
    which = np.argmax(vals_a, axis=0)
    cols = np.arange(len(base))
    out = base.copy()
    out["dd2min_max"] = vals_a[which, cols]
    out["rearranged"] = out["dd2min_max"].to_numpy() > threshold
    out["direction_at_max"] = np.array(dirs, dtype=object)[which]
    out["strain_at_max"] = strains_a[which, cols]
    for d, v in zip(dirs, vals_a):
        out[f"dd2min_max_{d}"] = v
    frac = float(out["rearranged"].mean())
    log.info("labels: %d of %d atoms rearranged (%.2f %%, threshold %.3g Å², directions %s)",
             int(out["rearranged"].sum()), len(out), 100 * frac, threshold, ",".join(dirs))
    return out
