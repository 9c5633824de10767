"""Plotting shared by the stages' figures: matplotlib without a display, PNGs written atomically."""

from __future__ import annotations

import os
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from igd.common.io import atomic_path  # noqa: E402


def save(fig, path: str | os.PathLike, dpi: int = 150) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)


def mean_curve(tables: Mapping[str, pd.DataFrame], x: str) -> pd.DataFrame:
    """Column-wise mean over samples of tables sharing the grid ``x``."""
    stacked = pd.concat(list(tables.values()), ignore_index=True)
    return stacked.groupby(x, as_index=False).mean(numeric_only=True)
