"""Inputs: every source, deterministic subsampling, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infomem.activations.data import check_texts, default_texts, load_inputs, subsample
from infomem.errors import DataError, InvalidInputError


def test_default_sample_is_bundled():
    texts = default_texts()
    assert len(texts) >= 300 and all(isinstance(t, str) and t.strip() for t in texts)
    inputs = load_inputs(max_samples=50, seed=3)
    assert len(inputs.items) == 50 and inputs.info["kind"] == "default"
    assert inputs.info["n_available"] == len(texts)


def test_subsample_is_seeded_sorted_and_without_replacement():
    a, b = subsample(1000, 100, 7), subsample(1000, 100, 7)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 100 and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, subsample(1000, 100, 8))
    np.testing.assert_array_equal(subsample(10, 100, 0), np.arange(10))


def test_fingerprint_follows_the_items():
    a = load_inputs(["x", "y"] * 150)
    b = load_inputs(["x", "y"] * 150)
    c = load_inputs(["x", "z"] * 150)
    assert a.info["fingerprint"] == b.info["fingerprint"] != c.info["fingerprint"]


def test_small_sample_warns(tiny_bert):
    from infomem.scoring.scores import score

    with pytest.warns(UserWarning, match="Only 3 examples"):
        score(str(tiny_bert), ["a", "b", "c"] * 1, mi_estimator="none", progress=False)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_local_files(tmp_path):
    (tmp_path / "t.txt").write_text("one\n\ntwo\nthree\n", encoding="utf-8")
    assert load_inputs(file=tmp_path / "t.txt").items == ["one", "two", "three"]
    rows = [{"id": i, "review": f"text {i}"} for i in range(5)]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    got = load_inputs(file=tmp_path / "t.jsonl")
    assert got.items == [f"text {i}" for i in range(5)] and got.info["column"] == "review"
    (tmp_path / "t.csv").write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    with pytest.raises(DataError, match="columns are: a, b"):
        load_inputs(file=tmp_path / "t.csv")
    assert load_inputs(file=tmp_path / "t.csv", column="b").items == ["x", "y"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_json_files_in_each_layout(tmp_path):
    texts = [f"text {i}" for i in range(4)]
    layouts = {"records.json": [{"id": i, "text": t} for i, t in enumerate(texts)],
               "columns.json": {"id": list(range(4)), "text": texts}, "strings.json": texts}
    for name, content in layouts.items():
        (tmp_path / name).write_text(json.dumps(content), encoding="utf-8")
        assert load_inputs(file=tmp_path / name).items == texts, name


@pytest.mark.parametrize(
    "name, content, message",
    [("e.csv", "", "'e.csv' is empty: nothing to score"),
     ("h.csv", "text\n", "'h.csv' holds no rows: nothing to score. Write a header row"),
     ("l.json", "[]", "'l.json' holds no rows"),
     ("b.json", "{not json", "'b.json' cannot be read as a json table: JSON parse error"),
     ("b.jsonl", '{"text": "a"}\nnot json\n', "cannot be read as a jsonl table: .* in row 1. "
                                                 "Write one JSON object per line"),
     ("b.parquet", "hello", "'b.parquet' cannot be read as a parquet table: Parquet")],
)
def test_unreadable_tables_give_one_line_errors(tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    for source in ({"file": tmp_path / name}, {"dataset": str(tmp_path / name)}):
        with pytest.raises(DataError, match=message) as err:
            load_inputs(**source)
        assert "\n" not in str(err.value)


def test_dataset_directory_splits_and_columns(tmp_path):
    import datasets

    dd = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]}),
        "test": datasets.Dataset.from_dict({"text": ["c", "d", "e"], "label": [0, 1, 0]}),
    })
    dd.save_to_disk(tmp_path / "ds")
    got = load_inputs(dataset=str(tmp_path / "ds"))
    assert got.items == ["c", "d", "e"] and got.info["split"] == "test"
    with pytest.raises(DataError, match="Split 'validation' is not in .* splits are: train, test"):
        load_inputs(dataset=str(tmp_path / "ds"), split="validation")
    with pytest.raises(DataError, match="Column 'sentence' is not in .* columns are: text, label"):
        load_inputs(dataset=str(tmp_path / "ds"), column="sentence")
    obj = load_inputs(dd["train"])
    assert obj.items == ["a", "b"] and obj.info["kind"] == "dataset-object"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_table_file_is_decoded_with_the_encoding(tmp_path):
    (tmp_path / "l.csv").write_bytes("text\ncafé\nnaïve\n".encode("latin-1"))
    (tmp_path / "l.jsonl").write_bytes('{"text": "café"}\n'.encode("latin-1"))
    with pytest.raises(DataError, match="'l.csv' cannot be read as a csv table: 'utf-8' codec .* "
                                        "Pass its encoding with `encoding=` / `--encoding`"):
        load_inputs(file=tmp_path / "l.csv")
    assert load_inputs(file=tmp_path / "l.csv", encoding="latin-1").items == ["café", "naïve"]
    assert load_inputs(file=tmp_path / "l.jsonl", encoding="latin-1").items == ["café"]
    with pytest.raises(DataError, match="Unknown encoding 'klingon'"):
        load_inputs(file=tmp_path / "l.csv", encoding="klingon")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_options_a_source_does_not_read_are_refused(tmp_path):
    import datasets

    datasets.Dataset.from_dict({"text": ["a", "b"]}).to_parquet(tmp_path / "t.parquet")
    datasets.Dataset.from_dict({"text": ["a", "b"]}).save_to_disk(tmp_path / "one")
    refused = [
        ({"file": tmp_path / "t.parquet", "encoding": "latin-1"},
         "`encoding=` / `--encoding` does not apply to the table file 't.parquet'; drop it."),
        ({"file": tmp_path / "t.parquet", "split": "test"}, "`split=` / `--split` does not apply"),
        ({"dataset": str(tmp_path / "one"), "config": "c", "data_revision": "v1"},
         "`config=` / `--config`, `data_revision=` / `--data-revision` do not apply to the local "
         "dataset .*; drop them."),
        ({"dataset": str(tmp_path / "one"), "streaming": True}, "`streaming=` / `--streaming`"),
        ({"dataset": str(tmp_path / "one"), "split": "test"}, "holds one split \\('train'\\), "
                                                              "not 'test'; drop `split=`"),
        ({"dataset": "nobody/no-such-dataset-xyz", "encoding": "latin-1"},
         "`encoding=` / `--encoding` does not apply to the dataset 'nobody/no-such"),
        ({"column": "text"}, "does not apply to the bundled text sample"),
        ({"inputs": ["a", "b"], "split": "test"}, "does not apply to inputs passed in memory"),
    ]
    for kwargs, message in refused:
        with pytest.raises(InvalidInputError, match=message):
            load_inputs(**kwargs)
    got = load_inputs(dataset=str(tmp_path / "one"), split="train")  # its own split is fine
    assert got.items == ["a", "b"] and got.info["split"] == "train"
    assert load_inputs(file=tmp_path / "t.parquet", encoding="utf-8").items == ["a", "b"]


def test_missing_sources():
    with pytest.raises(DataError, match="does not exist"):
        load_inputs(file="no/such/file.txt")
    with pytest.raises(DataError, match="not found locally or on the Hub"):
        load_inputs(dataset="nobody/no-such-dataset-xyz")


@pytest.mark.parametrize(
    "bad, message",
    [([], "is empty"), ("a text", "list of strings"), (["ok", 3], r"predictions\[1\]` is int"),
     (None, "list of strings")],
)
def test_check_texts(bad, message):
    with pytest.raises(InvalidInputError, match=message):
        check_texts(bad)


def test_max_samples_must_be_positive():
    with pytest.raises(InvalidInputError, match="`max_samples` must be >= 1"):
        load_inputs(["a"], max_samples=0)
