"""ARTn tasks' bookkeeping without LAMMPS: the atoms of each chunk, gathering chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from igd.artn.tables import EVENTS_COLUMNS, barriers_units, gather_chunks
from igd.artn.tasks import chunk_atoms


@pytest.mark.parametrize("n_atoms,chunks", [(500, 2), (17, 4), (3, 3)])
def test_chunks_partition_the_atoms_and_the_stride_keeps_every_kth(n_atoms, chunks):
    parts = [chunk_atoms(n_atoms, chunks, c, 1) for c in range(chunks)]
    assert np.array_equal(np.concatenate(parts), np.arange(1, n_atoms + 1))
    strided = np.concatenate([chunk_atoms(n_atoms, chunks, c, 5) for c in range(chunks)])
    assert np.array_equal(strided, np.arange(1, n_atoms + 1, 5))


def _chunk(ids, n_events=2):
    events = pd.DataFrame([{c: 0 for c in EVENTS_COLUMNS} | {"id": i, "status": "converged"}
                           for i in ids], columns=EVENTS_COLUMNS)
    bar = pd.DataFrame([{"id": i, "type": 1, "n_converged": n_events, "dQ_01": 0.5,
                         "dQ_02": 0.7} for i in ids], columns=list(barriers_units(n_events)))
    return events, bar


def test_gather_marks_unsearched_atoms_and_rejects_duplicates():
    atoms = pd.DataFrame({"id": np.arange(1, 7), "type": [1, 2, 1, 2, 1, 2]})
    (e0, b0), (e1, b1) = _chunk([1]), _chunk([4])
    events, barriers, summary = gather_chunks([e0, e1], [b0, b1], atoms, "s0")
    assert len(events) == 2 and list(barriers["id"]) == list(range(1, 7))
    assert list(barriers["searched"]) == [True, False, False, True, False, False]
    assert list(barriers["n_converged"]) == [2, 0, 0, 2, 0, 0]
    assert list(barriers["type"]) == [1, 2, 1, 2, 1, 2]          # the atoms' types
    assert summary == {"searches": 2, "converged_fraction": 1.0, "nan_barriers": 8}
    with pytest.raises(ValueError, match="s0 hold duplicate atoms"):
        gather_chunks([e0, e0], [b0, b0], atoms, "s0")
