"""The samples sheet: which glasses the workflow studies, where each comes from, its role.

Config key ``samples``: null = the sheet generated from ``n_samples`` and
``learning.test_samples`` (names s0 … s(n−1), key k for s<k>, the test samples or else the
last one ``test``, the others ``train``: exactly the samples of the workflow before the
sheet existed); or the path of a TSV file (the Snakemake catalog's convention), each row
checked against ``config/samples.schema.yaml`` and then against the other rows and the
config. Every error names the sheet, the row and the column (:class:`SampleSheetError`).

Pure functions (no Snakemake): ``workflow/rules/common.smk`` calls :func:`samples_of`
once while it builds the DAG, so a bad sheet or a bad structure file stops the run before
any job starts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "samples.schema.yaml"
COLUMNS = ("sample", "source", "seed", "composition", "role", "labels")
ROLES = ("train", "test", "predict")
QUENCH = "quench"
RESERVED = ("benchmarks", "figures", "learning", "logs")
"""Directories of results/ that are not samples: no sample may take these names."""
_ELEMENT = re.compile(r"([A-Z][a-z]?)([0-9]+(?:\.[0-9]+)?)")


class SampleSheetError(ValueError):
    """A samples sheet (or one of its rows) that cannot work; names row and column."""


@dataclass(frozen=True)
class Sample:
    """One row of the sheet, with its defaults resolved.

    ``key``: the integer that, with the master seed and a purpose, seeds every random
    stream of the sample (igd.common.config.derived_seed). ``composition``: element →
    atomic fraction for a quench row with its own composition, else None (the config's).
    ``source``: ``"quench"`` or the structure file's path (relative to the workdir).
    """

    name: str
    source: str
    key: int
    role: str
    labels: bool
    composition: dict[str, float] | None = None
    n_atoms: int | None = None   # atoms of a file row (checked at DAG build); None: system.n_atoms

    @property
    def quenched(self) -> bool:
        return self.source == QUENCH


def _where(sheet: str, row: int, name: str | None, column: str | None = None) -> str:
    who = f"row {row}" + (f" (sample {name!r})" if name else "")
    return f"samples sheet {sheet}, {who}" + (f", column '{column}'" if column else "")


def parse_composition(text: str, elements: Sequence[str]) -> dict[str, float]:
    """``"Cu64Zr36"`` → ``{"Cu": 0.64, "Zr": 0.36}`` over ``elements`` (unnamed ones 0).

    Amounts are normalised to fractions. Raises ValueError for unknown or repeated
    elements, a zero total or text that is not symbol-amount pairs."""
    parts = _ELEMENT.findall(text)
    if not parts or "".join(e + a for e, a in parts) != text:
        raise ValueError(f"{text!r} is not element symbols with amounts, e.g. Cu64Zr36")
    names = [e for e, _ in parts]
    unknown = [e for e in names if e not in elements]
    if unknown:
        raise ValueError(f"{unknown} are not elements of the potential {list(elements)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{text!r} names an element twice")
    total = sum(float(a) for _, a in parts)
    if total <= 0:
        raise ValueError(f"{text!r} has no atoms")
    amounts = {e: float(a) / total for e, a in parts}
    return {e: amounts.get(e, 0.0) for e in elements}


def generate(n_samples: int, test_samples: Sequence[str] | None) -> list[Sample]:
    """The sheet of ``n_samples`` quenched glasses s0 … s(n−1) (key k), roles from
    ``test_samples`` (None = the last sample). Errors name ``learning.test_samples``."""
    from igd.common.config import ConfigError  # noqa: PLC0415  (config imports this module)

    names = [f"s{k}" for k in range(n_samples)]
    tests = list(test_samples or names[-1:])
    unknown = [s for s in tests if s not in names]
    if unknown:
        raise ConfigError("learning.test_samples", f"{unknown} are not among the samples {names}")
    if len(tests) >= len(names):
        raise ConfigError("learning.test_samples", f"{len(tests)} test samples leave none of "
                          f"the {len(names)} samples for training")
    return [Sample(name=s, source=QUENCH, key=k, role="test" if s in tests else "train",
                   labels=True) for k, s in enumerate(names)]


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a TSV sheet as column → text ('' for an empty cell); '#' lines skipped."""
    path = Path(path)
    if not path.is_file():
        raise SampleSheetError(f"samples sheet {path}: no such file (config key 'samples')")
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise SampleSheetError(f"samples sheet {path}: no header line")
    reader = csv.reader(lines, delimiter="\t")
    header = [h.strip() for h in next(reader)]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise SampleSheetError(f"samples sheet {path}: header {header} has unknown or repeated "
                               f"columns {unknown}; allowed: {list(COLUMNS)}")
    rows = []
    for k, cells in enumerate(reader, start=1):
        if len(cells) != len(header):
            raise SampleSheetError(f"{_where(str(path), k, cells[0] if cells else None)}: "
                                   f"{len(cells)} cells for {len(header)} columns (tabs?)")
        rows.append({h: c.strip() for h, c in zip(header, cells)})
    return rows


def _typed(row: Mapping[str, str]) -> dict[str, Any]:
    """Cells as the schema's types: '' → null, seed → int, labels → bool (left as text
    when they do not parse, for the schema to reject with the column named)."""
    out: dict[str, Any] = {}
    for column, text in row.items():
        value: Any = text if text != "" else None
        if value is not None and column == "seed" and re.fullmatch(r"[0-9]+", text):
            value = int(text)
        elif value is not None and column == "labels" and text.lower() in ("true", "false"):
            value = text.lower() == "true"
        if value is not None or column not in ("sample", "source", "role"):
            out[column] = value
    return out


def check_row(row: Mapping[str, str], *, sheet: str, index: int) -> dict[str, Any]:
    """One row validated against :data:`SCHEMA` (defaults filled); the error names the
    row (1-based, after the header) and the column."""
    import jsonschema  # noqa: PLC0415

    schema = yaml.safe_load(SCHEMA.read_text())
    values = _typed(row)
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(values))
    if error is not None:
        column = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            column = next(c for c in error.validator_value if c not in values)
        elif error.validator == "additionalProperties":
            column = next(c for c in values if c not in schema["properties"])
        raise SampleSheetError(f"{_where(sheet, index, row.get('sample'), column)}: "
                               f"{error.message}")
    return {c: values.get(c, schema["properties"][c].get("default")) for c in COLUMNS}


def from_rows(rows: Sequence[Mapping[str, str]], *, sheet: str,
              elements: Sequence[str]) -> list[Sample]:
    """Samples of the sheet's rows: each row checked (:func:`check_row`), then the rules
    between rows (unique names, quench keys) and roles (≥ 1 train and ≥ 1 test row)."""
    samples: list[Sample] = []
    for k, row in enumerate(rows, start=1):
        v = check_row(row, sheet=sheet, index=k)
        where = lambda c, v=v, k=k: _where(sheet, k, v["sample"], c)  # noqa: E731
        if v["sample"] in RESERVED:
            raise SampleSheetError(f"{where('sample')}: results/{v['sample']}/ is taken by the "
                                   f"workflow; names {list(RESERVED)} are reserved")
        if any(s.name == v["sample"] for s in samples):
            raise SampleSheetError(f"{where('sample')}: the name is already used by an earlier row")
        labels = v["labels"] if v["labels"] is not None else v["role"] != "predict"
        if v["role"] != "predict" and not labels:
            raise SampleSheetError(f"{where('labels')}: a {v['role']} sample needs its AQS labels")
        composition = None
        if v["composition"] is not None:
            if v["source"] != QUENCH:
                raise SampleSheetError(f"{where('composition')}: only a quench row takes a "
                                       "composition (a file's atoms are what they are)")
            try:
                composition = parse_composition(v["composition"], elements)
            except ValueError as err:
                raise SampleSheetError(f"{where('composition')}: {err}") from None
        key = v["seed"] if v["seed"] is not None else k - 1
        twin = next((s for s in samples if s.quenched and v["source"] == QUENCH
                     and s.key == key and s.composition == composition), None)
        if twin is not None:
            raise SampleSheetError(f"{where('seed')}: seed {key} and composition repeat "
                                   f"sample {twin.name!r}: the same glass twice")
        samples.append(Sample(name=v["sample"], source=v["source"], key=key, role=v["role"],
                              labels=labels, composition=composition))
    for role in ("train", "test"):
        if not any(s.role == role for s in samples):
            raise SampleSheetError(f"samples sheet {sheet}: no {role} row (column 'role'); "
                                   "the IGD needs at least one train and one test sample")
    return samples


def samples_of(config: Mapping[str, Any], root: str | Path = ".",
               check_files: bool = True) -> list[Sample]:
    """The samples of a (validated) config, in sheet order: generated (``samples`` null)
    or read from the sheet; with ``check_files``, every file row's structure is read and
    checked (:func:`igd.common.glassfile.check_source`) relative to ``root``."""
    from igd.common.config import ConfigError  # noqa: PLC0415

    sheet = config.get("samples")
    learning = config.get("learning") or {}
    if sheet is None:
        return generate(config["n_samples"], learning.get("test_samples"))
    if learning.get("test_samples"):
        raise ConfigError("learning.test_samples", f"must be null with a samples sheet "
                          f"({sheet}): its column 'role' names the test samples")
    elements = config["potential"]["elements"]
    samples = from_rows(read_rows(Path(root) / sheet), sheet=str(sheet), elements=elements)
    for k, s in enumerate(samples, start=1):
        if s.composition is not None:
            _check_split(config, s, str(sheet), k)
        if check_files and not s.quenched:
            from igd.common.glassfile import GlassFileError, check_source  # noqa: PLC0415

            try:
                frame = check_source(Path(root) / s.source, config, root)
            except GlassFileError as err:
                raise SampleSheetError(f"{_where(str(sheet), k, s.name, 'source')}: {err}") from None
            samples[k - 1] = replace(s, n_atoms=frame.n_atoms)
    return samples


def _check_split(config: Mapping[str, Any], s: Sample, sheet: str, index: int) -> None:
    from igd.common.config import species_counts  # noqa: PLC0415

    n = config["system"]["n_atoms"]
    counts = species_counts(n, s.composition, config["potential"]["elements"])
    if min(counts.values()) < 0 or sum(counts.values()) != n:
        raise SampleSheetError(f"{_where(sheet, index, s.name, 'composition')}: "
                               f"{s.composition} gives no integer split of {n} atoms")
    if config["system"].get("initial", {}).get("structure") == "b2":
        raise SampleSheetError(f"{_where(sheet, index, s.name, 'composition')}: "
                               "system.initial.structure b2 is a 50/50 crystal; use 'random'")


def sample_system(config: Mapping[str, Any], sample: Sample) -> Mapping[str, Any]:
    """``config['system']`` with the sample's own composition, if it has one (the same
    object otherwise, so a default sample's params are unchanged)."""
    if sample.composition is None:
        return config["system"]
    return {**config["system"], "composition": dict(sample.composition)}
