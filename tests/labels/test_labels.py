"""The plasticity labels: max ΔD²min over the shear directions against the threshold."""

import numpy as np
import pandas as pd
import pytest

from igd.labels.labels import LABEL_UNITS, make_labels


def test_make_labels_max_over_directions(caplog):
    ids = np.arange(1, 6)
    tables = {
        "xy": pd.DataFrame({"id": ids, "dd2min_max": [0.01, 0.2, 0.0, 0.04, 0.06],
                            "strain_at_max": [0.01, 0.02, 0.03, 0.04, 0.05]}),
        "yz": pd.DataFrame({"id": ids[::-1], "dd2min_max": [0.01, 0.03, 0.02, 0.01, 0.07],
                            "strain_at_max": [0.011, 0.021, 0.031, 0.041, 0.051]}),
        "zx": pd.DataFrame({"id": ids, "dd2min_max": [0.0, 0.0, 0.049, 0.0, 0.0],
                            "strain_at_max": [0.012] * 5}),
    }
    types = pd.DataFrame({"id": ids[::-1], "type": [2, 1, 2, 1, 2]})
    with caplog.at_level("INFO", logger="igd.labels.labels"):
        out = make_labels(tables, types, threshold=0.05)
    assert set(out.columns) <= set(LABEL_UNITS)
    np.testing.assert_array_equal(out["id"], ids)
    np.testing.assert_array_equal(out["type"], [2, 1, 2, 1, 2])
    # yz table is in reverse id order: id 1 → 0.07, id 5 → 0.01
    np.testing.assert_allclose(out["dd2min_max"], [0.07, 0.2, 0.049, 0.04, 0.06])
    np.testing.assert_array_equal(out["rearranged"], [True, True, False, False, True])
    assert out["rearranged"].dtype == bool
    np.testing.assert_array_equal(out["direction_at_max"], ["yz", "xy", "zx", "xy", "xy"])
    np.testing.assert_allclose(out["strain_at_max"], [0.051, 0.02, 0.012, 0.04, 0.05])
    assert "60.00 %" in caplog.text


def test_make_labels_rejects_missing_atoms():
    tables = {"xy": pd.DataFrame({"id": [1, 2], "dd2min_max": [0.1, 0.2],
                                  "strain_at_max": [0.01, 0.02]})}
    with pytest.raises(ValueError, match="lacks atoms"):
        make_labels(tables, pd.DataFrame({"id": [1, 2, 3], "type": [1, 1, 2]}), 0.05)
