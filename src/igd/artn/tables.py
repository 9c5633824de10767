"""The two ARTn tables, their units and rows: ``artn/events.parquet`` (one row per search
attempt) and ``artn/barriers.parquet`` (one row per atom: its sorted barriers)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from igd.artn.search import SearchResult

log = logging.getLogger(__name__)

#: Units of the columns of ``artn/events.parquet`` (one row per attempt).
EVENTS_UNITS = {
    "id": "", "type": "", "event": "", "attempt": "", "status": "",
    "barrier": "eV", "e_saddle": "eV", "eigenvalue": "eV/Å^2", "eigenvalue_2": "eV/Å^2",
    "max_force": "eV/Å",
    "force_calls": "", "basin_steps": "", "saddle_steps": "", "max_disp": "Å",
    "n_moved": "", "back_energy": "eV", "back_distance": "Å", "connect_calls": "",
    "wall_s": "s",
    "barrier_search": "eV", "refine_calls": "",
}
EVENTS_COLUMNS = list(EVENTS_UNITS)


def barriers_units(n_events: int) -> dict[str, str]:
    """Units of ``artn/barriers.parquet`` (``id, type, n_converged, dQ_01 … dQ_NN``)."""
    return {"id": "", "type": "", "n_converged": "",
            **{f"dQ_{k:02d}": "eV" for k in range(1, n_events + 1)}}


def event_row(atom_id: int, atom_type: int, event: int, attempt: int, res: SearchResult,
              wall: float) -> dict:
    """The events row (columns :data:`EVENTS_UNITS`) of one attempt with outcome ``res``
    and wall time ``wall`` (s)."""
    return {"id": atom_id, "type": atom_type, "event": event, "attempt": attempt,
            "status": res.status, "barrier": res.barrier, "e_saddle": res.e_saddle,
            "eigenvalue": res.eigenvalue, "eigenvalue_2": res.eigenvalue_2,
            "max_force": res.max_force,
            "force_calls": res.force_calls, "basin_steps": res.basin_steps,
            "saddle_steps": res.saddle_steps, "max_disp": res.max_disp,
            "n_moved": res.n_moved, "back_energy": res.back_energy,
            "back_distance": res.back_distance, "connect_calls": res.connect_calls,
            "wall_s": wall,
            "barrier_search": res.barrier, "refine_calls": 0}


def barrier_row(atom_id: int, atom_type: int, barriers: np.ndarray) -> dict:
    """The barriers row of one atom from its ``(n_events,)`` barriers (eV, NaN: the event
    never converged): ``id, type, n_converged, dQ_01 …`` sorted, NaN last."""
    n_ok = int(np.isfinite(barriers).sum())
    if n_ok < len(barriers):
        log.warning("atom %d: %d of %d events never converged (barriers NaN)",
                    atom_id, len(barriers) - n_ok, len(barriers))
    srt = np.sort(barriers)  # NaN last
    return {"id": atom_id, "type": atom_type, "n_converged": n_ok,
            **{f"dQ_{k + 1:02d}": srt[k] for k in range(len(barriers))}}


def tables(rows: list[dict], barrier_rows: list[dict], n_events: int
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, barriers)`` data frames of the rows of :func:`event_row` and
    :func:`barrier_row` (columns in the order of :data:`EVENTS_UNITS` and
    :func:`barriers_units`)."""
    return (pd.DataFrame(rows, columns=EVENTS_COLUMNS),
            pd.DataFrame(barrier_rows, columns=list(barriers_units(int(n_events)))))


def gather_chunks(events: list[pd.DataFrame], barriers: list[pd.DataFrame],
                  atoms: pd.DataFrame, sample: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One sample's tables from its chunks' ``events`` and ``barriers`` (in chunk order).

    ``atoms`` (columns ``id, type``) lists every atom of the sample: the barriers table
    gets one row per atom, ``searched`` False (and NaN barriers, ``n_converged`` 0) for
    the atoms ``atom_stride`` skipped. Returns ``(events, barriers, summary)``, the
    summary with the number of searches, the converged fraction and the NaN barriers.
    Raises ValueError if an atom is in two chunks.
    """
    events = pd.concat(events, ignore_index=True)
    barriers = pd.concat(barriers, ignore_index=True)
    if barriers["id"].duplicated().any():
        raise ValueError(f"ARTn chunks of {sample} hold duplicate atoms")
    barriers["searched"] = True
    barriers = atoms.merge(barriers.drop(columns="type"), on="id", how="left", validate="1:1")
    barriers["searched"] = barriers["searched"].fillna(False).astype(bool)
    barriers["n_converged"] = barriers["n_converged"].fillna(0).astype(np.int64)
    log.info("%d of %d atoms searched (atom_stride); the others have NaN barriers",
             int(barriers["searched"].sum()), len(barriers))
    converged = events["status"] == "converged"
    dq = barriers.filter(like="dQ_").to_numpy()
    log.info("%d searches, %d converged (%.1f %%); median force calls per converged search "
             "%.0f; %d of %d atoms with every barrier found; %d barriers NaN",
             len(events), converged.sum(), 100 * converged.mean(),
             events.loc[converged, "force_calls"].median(),
             int(np.isfinite(dq).all(axis=1).sum()), len(barriers), int(np.isnan(dq).sum()))
    log.info("status counts: %s", events["status"].value_counts().to_dict())
    summary = {"searches": len(events), "converged_fraction": float(converged.mean()),
               "nan_barriers": int(np.isnan(dq).sum())}
    return events, barriers, summary
