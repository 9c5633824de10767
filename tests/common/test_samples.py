"""The samples sheet (igd.common.samples): generated as before, read from a TSV, and
every bad row an error naming the row and the column."""

from __future__ import annotations

import pytest

from igd.common.config import ConfigError, derived_seed, load, sample_names, validate
from igd.common.samples import (SampleSheetError, generate, parse_composition, sample_system,
                                samples_of)

from conftest import ROOT

ELEMENTS = ["Cu", "Zr"]
HEADER = "sample\tsource\tseed\tcomposition\trole\tlabels"


def _config(tmp_path, rows: list[str], header: str = HEADER) -> dict:
    cfg = load(ROOT / "config" / "config.yaml")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("\n".join(["# a comment line", header, *rows]) + "\n")
    cfg["samples"] = str(sheet)
    return cfg


def test_generated_sheet_is_the_workflow_before_the_sheet():
    """n_samples / test_samples give s0 … s(n−1), key k (so every derived seed is the one
    of igd.common.config.sample_index before), the last or the named ones test."""
    samples = generate(3, None)
    assert [s.name for s in samples] == ["s0", "s1", "s2"]
    assert [s.key for s in samples] == [0, 1, 2]
    assert [s.role for s in samples] == ["train", "train", "test"]
    assert all(s.quenched and s.labels and s.composition is None for s in samples)
    assert [s.role for s in generate(4, ["s0", "s2"])] == ["test", "train", "test", "train"]
    cfg = validate(load(ROOT / "config" / "paper.yaml"))
    assert sample_names(cfg) == [f"s{k}" for k in range(10)]
    assert sample_system(cfg, samples[0]) is cfg["system"]


def test_sheet_rows_defaults_and_composition(tmp_path):
    cfg = _config(tmp_path, ["a\tquench\t\t\ttrain\t", "b\tquench\t7\t\ttest\ttrue",
                             "cu64.x\tquench\t\tCu64Zr36\tpredict\t",
                             "cu64-l\tquench\t\tCu64Zr36\tpredict\ttrue"])
    samples = samples_of(cfg)
    assert [s.name for s in samples] == ["a", "b", "cu64.x", "cu64-l"]
    assert [s.key for s in samples] == [0, 7, 2, 3]           # empty seed: the row position
    assert [s.labels for s in samples] == [True, True, False, True]
    assert samples[2].composition == pytest.approx({"Cu": 0.64, "Zr": 0.36})
    system = sample_system(cfg, samples[2])
    assert system["composition"] == samples[2].composition and system["n_atoms"] == 500
    assert cfg["system"]["composition"] == {"Cu": 0.5, "Zr": 0.5}   # untouched
    assert derived_seed(1, samples[1].key, 0) == derived_seed(1, 7, 0)
    # the validated config counts the sheet's rows as its samples
    assert validate(cfg)["n_samples"] == 4


def test_columns_may_be_left_out(tmp_path):
    cfg = _config(tmp_path, ["a\tquench\ttrain", "b\tquench\ttest"], header="sample\tsource\trole")
    assert [(s.key, s.labels) for s in samples_of(cfg)] == [(0, True), (1, True)]


@pytest.mark.parametrize("rows, where", [
    (["a\tquench\t\t\ttrain\t", "a\tquench\t\t\ttest\t"], "row 2 (sample 'a'), column 'sample'"),
    (["a b\tquench\t\t\ttrain\t", "b\tquench\t\t\ttest\t"], "row 1 (sample 'a b'), column 'sample'"),
    (["../a\tquench\t\t\ttrain\t", "b\tquench\t\t\ttest\t"], "row 1 (sample '../a'), column 'sample'"),
    (["a\tquench\t\t\ttrain\t", "figures\tquench\t\t\ttest\t"],
     "row 2 (sample 'figures'), column 'sample'"),
    (["a\tquench\t\t\ttrain\t", "b\tquench\t\t\tvalidate\t"], "row 2 (sample 'b'), column 'role'"),
    (["a\tquench\tx1\t\ttrain\t", "b\tquench\t\t\ttest\t"], "row 1 (sample 'a'), column 'seed'"),
    (["a\tquench\t-1\t\ttrain\t", "b\tquench\t\t\ttest\t"], "row 1 (sample 'a'), column 'seed'"),
    (["a\tquench\t\t\ttrain\tyes", "b\tquench\t\t\ttest\t"], "row 1 (sample 'a'), column 'labels'"),
    (["a\tquench\t\t\ttrain\tfalse", "b\tquench\t\t\ttest\t"], "row 1 (sample 'a'), column 'labels'"),
    (["a\tquench\t\tCu64Al36\ttrain\t", "b\tquench\t\t\ttest\t"],
     "row 1 (sample 'a'), column 'composition'"),
    (["a\tquench\t\tcu64zr36\ttrain\t", "b\tquench\t\t\ttest\t"],
     "row 1 (sample 'a'), column 'composition'"),
    (["a\tquench\t\tCu64Cu36\ttrain\t", "b\tquench\t\t\ttest\t"],
     "row 1 (sample 'a'), column 'composition'"),
    (["a\tglass.data\t\tCu64Zr36\ttrain\t", "b\tquench\t\t\ttest\t"],
     "row 1 (sample 'a'), column 'composition'"),
    (["a\tquench\t3\t\ttrain\t", "b\tquench\t3\t\ttest\t"], "row 2 (sample 'b'), column 'seed'"),
    (["a\tquench\t\t\ttrain\t", "b\tmissing.data\t\t\ttest\t"], "row 2 (sample 'b'), column 'source'"),
    (["a\tquench\t\t\ttrain\t", "b\tquench\t\t\ttest"], "row 2 (sample 'b')"),
    (["a\tquench\t\t\ttrain\t", "b\tquench\t\t\tpredict\t"], "no test row (column 'role')"),
    (["a\tquench\t\t\ttest\t", "b\tquench\t\t\tpredict\t"], "no train row (column 'role')"),
])
def test_bad_rows_name_row_and_column(tmp_path, rows, where):
    cfg = _config(tmp_path, rows)
    with pytest.raises(SampleSheetError, match=r"samples sheet .*samples\.tsv") as err:
        samples_of(cfg)
    assert where in str(err.value), str(err.value)


def test_same_seed_other_composition_is_another_glass(tmp_path):
    cfg = _config(tmp_path, ["a\tquench\t3\t\ttrain\t", "b\tquench\t3\tCu64Zr36\ttest\t"])
    assert [s.key for s in samples_of(cfg)] == [3, 3]


def test_bad_header_and_missing_sheet(tmp_path):
    cfg = _config(tmp_path, ["a\tquench\ttrain"], header="sample\tsource\tkind")
    with pytest.raises(SampleSheetError, match="unknown or repeated columns \\['kind'\\]"):
        samples_of(cfg)
    cfg = _config(tmp_path, ["a\ttrain", "b\ttest"], header="sample\trole")
    with pytest.raises(SampleSheetError, match="row 1 \\(sample 'a'\\), column 'source'"):
        samples_of(cfg)
    cfg["samples"] = str(tmp_path / "nowhere.tsv")
    with pytest.raises(SampleSheetError, match="nowhere.tsv: no such file .*'samples'"):
        samples_of(cfg)


def test_test_samples_key_conflicts_with_a_sheet(tmp_path):
    cfg = _config(tmp_path, ["a\tquench\t\t\ttrain\t", "b\tquench\t\t\ttest\t"])
    cfg["learning"] = {"test_samples": ["s1"]}
    with pytest.raises(ConfigError, match="learning.test_samples.*column 'role'"):
        samples_of(cfg)


def test_parse_composition():
    assert parse_composition("Cu64Zr36", ELEMENTS) == pytest.approx({"Cu": 0.64, "Zr": 0.36})
    assert parse_composition("Zr1Cu1", ELEMENTS) == pytest.approx({"Cu": 0.5, "Zr": 0.5})
    assert parse_composition("Cu100", ELEMENTS) == {"Cu": 1.0, "Zr": 0.0}
    assert parse_composition("Cu46.5Zr53.5", ELEMENTS)["Cu"] == pytest.approx(0.465)
    for bad in ("Cu64Zr", "Cu0Zr0", "Al50Cu50", "64Cu"):
        with pytest.raises(ValueError):
            parse_composition(bad, ELEMENTS)
