"""The per-atom feature table of one sample (PROTOCOL §6): families, columns, units, NaN.

The feature vector x_i holds four families, identified by the column-name prefix
(counts follow the config; the paper's in brackets):

====== ========== ================================================ =====
family prefix     meaning                                           unit
====== ========== ================================================ =====
G      ``G_``     radial Gaussian functions G_i(μ)            (31)  —
S2     ``S2_``    two-body excess entropies S2,i(r_c)         (25)  k_B
vmsd   ``vmsd_``  vibrational MSD at temperature T            (20)  Å²
dQ     ``dQ_``    sorted ARTn activation energies ΔQ_1…ΔQ_n   (24)  eV
====== ========== ================================================ =====

Label convention: +1 rearranged (max ΔD²min above the threshold), −1 not. A sample
without AQS labels (a glass the saved model predicts) has no ``label`` column.

Missing features (``nan_policy``, :data:`NAN_POLICIES`). ARTn searches can fail, leaving
NaN barriers (and any stage could, in principle, leave NaN). NaN never reaches the SVM
silently:

* ``"error"``: :func:`assemble_features` raises, naming the atoms;
* ``"drop"`` (default): incomplete atoms stay in ``features.parquet`` (column
  ``complete`` = False) but are excluded from training and testing; their IGD is NaN;
  the count is logged and reported in ``metrics.json`` (``n_incomplete``);
* ``"impute_train_median"``: each missing value is replaced by the median of that column
  over the *training set* (a ``SimpleImputer`` fitted inside the pipeline, hence also per
  CV fold; :mod:`igd.learning.svm`); incomplete atoms get an IGD and take part in testing.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

FAMILIES: dict[str, str] = {"G": "G_", "S2": "S2_", "vmsd": "vmsd_", "dQ": "dQ_"}
"""Feature family → column-name prefix, in the order of the paper's feature vector."""

FAMILY_UNITS: dict[str, str] = {"G": "", "S2": "kB", "vmsd": "Angstrom^2", "dQ": "eV"}

NAN_POLICIES = ("error", "drop", "impute_train_median")


class FeatureMismatchError(ValueError):
    """Tables of one sample that disagree on the atoms (ids) or their types."""


def vmsd_column(temperature: float) -> str:
    """Column name of the vibrational MSD at ``temperature`` (K): ``vmsd_025K`` etc."""
    return f"vmsd_{float(temperature):03g}K"


def family_columns(columns: Iterable[str], families: Sequence[str] = tuple(FAMILIES)
                   ) -> list[str]:
    """Feature columns of the given families, in family order then table order."""
    columns = list(columns)
    out: list[str] = []
    for fam in families:
        if fam not in FAMILIES:
            raise ValueError(f"unknown feature family {fam!r}; known: {list(FAMILIES)}")
        out += [c for c in columns if c.startswith(FAMILIES[fam])]
    return out


def feature_units(columns: Iterable[str]) -> dict[str, str]:
    """Units of a features table (for :func:`igd.common.io.write_table`)."""
    units = {"id": "", "type": "", "label": "", "complete": "", "dd2min_max": "Angstrom^2"}
    for c in columns:
        for fam, prefix in FAMILIES.items():
            if c.startswith(prefix):
                units[c] = FAMILY_UNITS[fam]
    return {c: units[c] for c in columns if c in units}


def _check_ids(name: str, df: pd.DataFrame, ref_ids: np.ndarray, ref: str = "labels"
               ) -> None:
    if "id" not in df.columns:
        raise FeatureMismatchError(f"{name} table has no 'id' column")
    ids = df["id"].to_numpy()
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        raise FeatureMismatchError(f"{name} table has duplicate atom ids {dup[:10].tolist()}"
                                   f" ({dup.size} in all)")
    missing = np.setdiff1d(ref_ids, ids)
    extra = np.setdiff1d(ids, ref_ids)
    if missing.size or extra.size:
        raise FeatureMismatchError(
            f"{name} table does not hold the atoms of the {ref} table: "
            f"{missing.size} id(s) missing {missing[:10].tolist()}, "
            f"{extra.size} unexpected id(s) {extra[:10].tolist()}")


def _check_types(name: str, df: pd.DataFrame, ref: pd.Series, ref_name: str = "labels"
                 ) -> None:
    if "type" not in df.columns:
        return
    t = df.set_index("id")["type"].reindex(ref.index)
    bad = t.to_numpy() != ref.to_numpy()
    if bad.any():
        ids = ref.index.to_numpy()[bad]
        raise FeatureMismatchError(
            f"{name} table disagrees with the {ref_name} table on the type of {bad.sum()} "
            f"atom(s), ids {ids[:10].tolist()}")


def assemble_features(labels_df: pd.DataFrame | None, structure_df: pd.DataFrame,
                      vmsd_tables: Mapping[float, pd.DataFrame],
                      barriers_df: pd.DataFrame, types: pd.DataFrame | None = None, *,
                      nan_policy: str = "drop",
                      expected_counts: Mapping[str, int] | None = None
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One sample's feature table: ``id, type, [label, dd2min_max], complete`` + features.

    Inputs (one row per atom each; the output contract tables of PROTOCOL §11):
    ``labels_df`` (``id, type, dd2min_max, rearranged``), ``structure_df`` (``id, G_*,
    S2_*``), ``vmsd_tables`` {T (K): table with ``id, vmsd`` (Å²)}, ``barriers_df``
    (``id, dQ_*`` in eV) and optionally ``types`` (``id, type``, e.g. the glass atoms
    table). Every table must hold exactly the atoms of ``labels_df`` (no duplicates), and
    any ``type`` column must agree; otherwise :class:`FeatureMismatchError` names the
    table and the ids. ``expected_counts`` {family: n} checks the number of columns per
    family against the config.

    ``labels_df`` None (a glass to be predicted, without AQS): the table has no ``label``
    and no ``dd2min_max`` column, and ``types`` (required then) gives the atoms.

    Rows are ordered by id; columns in the paper's order G, S2, vmsd (ascending T), dQ.
    ``label`` is +1 (rearranged) / −1; ``complete`` is False for atoms with any NaN
    feature. Returns ``(table, report)``; the report counts incomplete atoms per family.
    See the module docstring for ``nan_policy``.
    """
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    if labels_df is None and types is None:
        raise FeatureMismatchError("without a labels table the atoms table (id, type) "
                                   "is needed")
    ref, ref_df = ("labels", labels_df) if labels_df is not None else ("types", types)
    for col in ("id", "type", "rearranged")[:3 if labels_df is not None else 2]:
        if col not in ref_df.columns:
            raise FeatureMismatchError(f"{ref} table has no {col!r} column")
    lab = ref_df.sort_values("id").reset_index(drop=True)
    ref_ids = lab["id"].to_numpy()
    if np.unique(ref_ids).size != ref_ids.size:
        raise FeatureMismatchError(f"{ref} table has duplicate atom ids")
    ref_types = lab.set_index("id")["type"]

    tables = [("structure", structure_df), ("barriers", barriers_df)]
    tables += [(f"vmsd {float(T):g} K", df) for T, df in vmsd_tables.items()]
    if types is not None and labels_df is not None:
        tables.append(("types", types))
    for name, df in tables:
        _check_ids(name, df, ref_ids, ref)
        _check_types(name, df, ref_types, ref)

    def aligned(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        return df.set_index("id")[cols].reindex(ref_ids).reset_index(drop=True)

    parts = [pd.DataFrame({"id": ref_ids, "type": lab["type"].to_numpy()})]
    if labels_df is not None:
        parts[0]["label"] = np.where(lab["rearranged"].to_numpy(dtype=bool), 1,
                                     -1).astype(np.int8)
    if labels_df is not None and "dd2min_max" in lab.columns:
        parts.append(lab[["dd2min_max"]].reset_index(drop=True))
    parts.append(aligned(structure_df, family_columns(structure_df.columns, ["G"])))
    parts.append(aligned(structure_df, family_columns(structure_df.columns, ["S2"])))
    for T in sorted(vmsd_tables, key=float):
        df = vmsd_tables[T]
        if "vmsd" not in df.columns:
            raise FeatureMismatchError(f"vmsd {float(T):g} K table has no 'vmsd' column")
        parts.append(aligned(df, ["vmsd"]).rename(columns={"vmsd": vmsd_column(T)}))
    parts.append(aligned(barriers_df, family_columns(barriers_df.columns, ["dQ"])))
    table = pd.concat(parts, axis=1)

    feats = family_columns(table.columns)
    counts = {fam: len(family_columns(feats, [fam])) for fam in FAMILIES}
    if expected_counts is not None:
        wrong = {f: (counts.get(f), n) for f, n in expected_counts.items()
                 if counts.get(f) != n}
        if wrong:
            raise FeatureMismatchError(
                f"feature counts differ from the config (found, expected): {wrong}")
    values = table[feats].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    incomplete = bad.any(axis=1)
    table["complete"] = ~incomplete
    report: dict[str, Any] = {
        "n_atoms": int(len(table)),
        "n_features": len(feats),
        "feature_counts": counts,
        "n_incomplete": int(incomplete.sum()),
        "n_incomplete_by_family": {
            fam: int(bad[:, [feats.index(c) for c in family_columns(feats, [fam])]]
                     .any(axis=1).sum()) if counts[fam] else 0
            for fam in FAMILIES},
        "incomplete_ids": table.loc[incomplete, "id"].to_numpy()[:100].tolist(),
        "nan_policy": nan_policy,
    }
    if incomplete.any():
        msg = (f"{report['n_incomplete']} of {len(table)} atoms have missing (non-finite) "
               f"features, by family {report['n_incomplete_by_family']}; first ids "
               f"{report['incomplete_ids'][:10]}")
        if nan_policy == "error":
            raise ValueError(msg + " (nan_policy='error')")
        log.warning("%s; nan_policy=%r", msg, nan_policy)
    return table, report


def assemble_features_from_files(labels, structure, vmsd: Mapping[float, Any], barriers,
                                 atoms=None, *, sample: str | None = None,
                                 nan_policy: str = "drop",
                                 expected_counts: Mapping[str, int] | None = None
                                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`assemble_features` on the stage output files (Parquet paths) of one sample.

    ``vmsd`` maps temperature (K) → path; ``atoms`` (optional, required if ``labels`` is
    None: a sample without AQS labels) is the glass atoms table, of which only ``id,
    type`` are read. Every file whose metadata names a sample (``params.sample``) must
    name ``sample``; a table from another sample, with missing, extra or duplicate atoms,
    or disagreeing atom types raises :class:`FeatureMismatchError` naming the file and
    the atom ids.
    """
    from igd.common.io import read_metadata, read_table  # noqa: PLC0415

    if labels is None and atoms is None:
        raise FeatureMismatchError(f"{sample or ''}: without labels the atoms table is "
                                   "needed".strip())
    files = [("labels", labels)] if labels is not None else []
    files += [("structure", structure), ("barriers", barriers)]
    files += [(f"vmsd {float(T):g} K", p) for T, p in vmsd.items()]
    if atoms is not None:
        files.append(("types", atoms))
    if sample is not None:
        for _name, path in files:
            theirs = read_metadata(path).get("params", {}).get("sample")
            if theirs is not None and theirs != sample:
                raise FeatureMismatchError(
                    f"{path}: a table of sample {theirs}, not of {sample} "
                    f"(params.sample in its metadata)")
    tables = {name: read_table(path, columns=["id", "type"] if name == "types" else None)
              for name, path in files}
    ref_name, ref_path = ("labels", labels) if labels is not None else ("types", atoms)
    lab = tables[ref_name]
    if "id" in lab.columns and "type" in lab.columns:
        lab = lab.sort_values("id")
        ref_ids, ref_types = lab["id"].to_numpy(), lab.set_index("id")["type"]
        for name, path in files:
            if name == ref_name:
                continue
            try:
                _check_ids(name, tables[name], ref_ids, ref_name)
                _check_types(name, tables[name], ref_types, ref_name)
            except FeatureMismatchError as err:
                raise FeatureMismatchError(f"{path}: {err} ({ref_path})") from None
    try:
        return assemble_features(
            tables.get("labels"), tables["structure"],
            {T: tables[f"vmsd {float(T):g} K"] for T in vmsd}, tables["barriers"],
            tables.get("types"), nan_policy=nan_policy, expected_counts=expected_counts)
    except FeatureMismatchError as err:
        raise FeatureMismatchError(f"{sample or ''} {err} (inputs: {ref_path}, …)".strip()) \
            from None
