"""The Space's named endpoints through gradio_client, against the launched app (offline)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from spacekit import MAX_SAMPLES, LaunchedApp, factories_texts

import infomem
from infomem.options import option
from infomem.scoring.extraction_result import ExtractionResult
from infomem.scoring.result import Result
from infomem.scoring.unitmem_report import UnitMemReport
from infomem.space import extracting, ui, unitmem

import factories

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
# view_api() of /score, /compare and /leaderboard recorded before the form's fields were
# declared once (the hand-written signatures), with this session's SpaceConfig.
API_BEFORE = Path(__file__).with_name("api_before_issue12.json")
_PARAMETER_KEYS = ("parameter_name", "parameter_has_default", "parameter_default", "component",
                   "label")


def _same_scores(a: Result, b: Result) -> None:
    assert a.n_samples == b.n_samples and a.n_neurons == b.n_neurons
    assert a.mean_entropy == pytest.approx(b.mean_entropy, rel=1e-12)
    assert a.median_entropy == pytest.approx(b.median_entropy, rel=1e-12)
    assert (a.mean_mi is None) == (b.mean_mi is None)
    if a.mean_mi is not None:
        assert a.mean_mi == pytest.approx(b.mean_mi, rel=1e-9, abs=1e-12)
    assert [x.name for x in a.per_layer] == [x.name for x in b.per_layer]
    for x, y in zip(a.per_layer, b.per_layer, strict=True):
        assert x.mean_entropy == pytest.approx(y.mean_entropy, rel=1e-12)
        assert (x.mean_mi is None and y.mean_mi is None) or x.mean_mi == pytest.approx(y.mean_mi)
    assert a.settings.score_affecting() == b.settings.score_affecting()


def _error(client, **kwargs) -> str:
    with pytest.raises(AppError) as info:
        client.predict(**kwargs)
    message = str(info.value)
    assert "Traceback" not in message and "File \"" not in message
    return message


def test_named_endpoints(client) -> None:
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/score", "/compare"} <= set(named)
    params = [p["parameter_name"] for p in named["/score"]["parameters"]]
    assert params[:3] == ["model_id", "source", "texts"]
    assert all(p["parameter_has_default"] for p in named["/score"]["parameters"])
    returns = {name: [r["label"] for r in endpoint["returns"]] for name, endpoint in named.items()}
    assert not [(name, label) for name, labels in returns.items() for label in labels
                if re.fullmatch(r"value_\d+", label or "value_0")]
    assert returns["/score"][0] == "Headline" and returns["/compare"][0] == "Summary"
    assert returns["/unit_mem"] == ["UnitMem", "UnitMem per layer", "Top units and their example",
                                    "UnitMem JSON"]
    assert returns["/extraction"] == ["Extraction", "Per text", "Extraction JSON",
                                      "Extraction scores"]


def test_api_parameters_are_as_before_the_form_was_declared_once(client) -> None:
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    now = {name: {"parameters": [{k: p[k] for k in _PARAMETER_KEYS} for p in e["parameters"]],
                  "returns": [r["label"] for r in e["returns"]]} for name, e in named.items()}
    before = json.loads(API_BEFORE.read_text(encoding="utf-8"))
    assert set(before) == {"/score", "/compare", "/leaderboard"}
    # The revision came later, as the last parameter: positional calls from before still work.
    revision = {"parameter_name": "revision", "parameter_has_default": True,
                "parameter_default": "", "component": "Textbox", "label": "Revision"}
    assert now["/score"]["parameters"].pop() == revision
    assert {name: now[name] for name in before} == before
    unit_mem = [(p["parameter_name"], p["parameter_default"]) for p in named["/unit_mem"]["parameters"]]
    assert unit_mem == [(p["parameter_name"], p["parameter_default"])
                        for p in before["/score"]["parameters"]
                        if p["parameter_name"] not in ("binning", "mi_estimator", "bins", "k",
                                                       "mi_neurons_per_layer")
                        ] + [("augmentations", option("augmentations").default), ("revision", "")]
    extraction = [(p["parameter_name"], p["parameter_default"])
                  for p in named["/extraction"]["parameters"]]
    assert extraction == [("model_id", ""), ("texts", ""), ("file", None), ("column", ""),
                          ("reference", ""), ("prefix_tokens", 32), ("suffix_tokens", 32),
                          ("min_k", 0.2), ("activations", False), ("revision", "")]


def test_score_default_model_matches_the_library(client) -> None:
    headline, plot, table, path, command, scores = client.predict(
        api_name="/score", max_samples=60, mi_neurons_per_layer=16)
    result = Result.from_json(path)
    direct = infomem.score(None, max_samples=60, mi_neurons_per_layer=16, progress=False)
    _same_scores(result, direct)
    assert result.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert result.n_neurons == 6 * 384 and len(table["data"]) == 6
    assert table["headers"] == ui._LAYER_COLUMNS  # the empty table's headers
    assert scores["mean_entropy"] == pytest.approx(direct.mean_entropy)
    assert plot["type"] == "matplotlib" and plot["plot"].startswith("data:image/")
    assert command == ("infomem card sentence-transformers/all-MiniLM-L6-v2 "
                       "infomem-all-MiniLM-L6-v2.json")
    assert Path(path).name == "infomem-all-MiniLM-L6-v2.json"
    assert "mean entropy" in headline and "Only 60 examples" in headline
    assert result.mi_matrix is None  # the download stays small; the heatmap had it


def test_score_pasted_lines_on_a_local_model(client, app: LaunchedApp) -> None:
    texts = factories_texts(40, seed=3)
    model = str(app.models["bert"])
    *_, path, _command, _scores = client.predict(
        api_name="/score", model_id=model, source="text", texts="\n".join(texts),
        max_samples=40, mi_estimator="ksg", bins=50)
    direct = infomem.score(model, texts, max_samples=40, bins=50, progress=False)
    _same_scores(Result.from_json(path), direct)


def test_score_uploaded_table_with_a_column(client, app: LaunchedApp, tmp_path: Path) -> None:
    texts = factories_texts(30, seed=4)
    table = tmp_path / "reviews.csv"
    with table.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "review"])
        writer.writerows([i, t] for i, t in enumerate(texts))
    model = str(app.models["gpt2"])
    *_, path, _command, _scores = client.predict(
        api_name="/score", model_id=model, source="file", file=handle_file(table),
        column="review", max_samples=30, mi_estimator="binned")
    result = Result.from_json(path)
    direct = infomem.score(model, texts, max_samples=30, mi_estimator="binned", progress=False)
    _same_scores(result, direct)
    assert result.data["kind"] == "file" and result.data["column"] == "review"
    assert result.model["kind"] == "text-decoder"


def test_four_concurrent_requests_all_correct(client, app: LaunchedApp) -> None:
    """Two requests share a model (its capture hooks must not mix); all four are exact."""
    jobs = []
    cases = [("bert", 1, 50), ("bert", 2, 70), ("bert2", 3, 60), ("gpt2", 4, 45)]
    for name, seed, n in cases:
        texts = factories_texts(n, seed=seed)
        job = client.submit(api_name="/score", model_id=str(app.models[name]), source="text",
                            texts="\n".join(texts), max_samples=n, mi_estimator="ksg",
                            mi_neurons_per_layer=16)
        jobs.append((job, name, texts))
    for job, name, texts in jobs:
        *_, path, _command, _scores = job.result(timeout=240)
        direct = infomem.score(str(app.models[name]), texts, max_samples=len(texts),
                               mi_neurons_per_layer=16,
                               progress=False)
        _same_scores(Result.from_json(path), direct)


def test_over_the_sample_cap_is_refused(client) -> None:
    message = _error(client, api_name="/score", max_samples=MAX_SAMPLES + 1)
    assert f"`max_samples` = {MAX_SAMPLES + 1} is over this Space's cap of {MAX_SAMPLES}" in message
    assert "INFOMEM_SPACE_MAX_SAMPLES" in message


def test_model_over_the_size_cap_is_refused_before_loading(client, app: LaunchedApp) -> None:
    big = app.models["big"]
    assert not list(big.glob("*.safetensors"))  # no weights: the refusal cannot have loaded any
    message = _error(client, api_name="/score", model_id=str(big), max_samples=10)
    assert "335M parameters, over this Space's cap of 40M" in message
    assert "INFOMEM_SPACE_MAX_PARAMS" in message


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"model_id": "nope/not-a-model"}, "'nope/not-a-model'"),
        ({"model_id": "not a model id!"}, "is not a Hub model id"),
        ({"source": "text", "texts": "  \n \n"}, "The pasted text is empty"),
        ({"source": "file"}, "No file uploaded"),
        ({"source": "dataset"}, "No dataset id given"),
        ({"max_samples": 0}, "`max_samples` must be a whole number >= 1"),
        ({"bins": 1}, "`bins` must be an integer >= 2"),
        ({"mi_estimator": "ksg", "k": 0}, "`k` must be an integer >= 1"),
    ],
)
def test_bad_inputs_give_one_line_messages(client, kwargs: dict, expected: str) -> None:
    message = _error(client, api_name="/score", max_samples=kwargs.pop("max_samples", 20),
                     **kwargs)
    assert expected in message
    assert "\n" not in message.strip()


def test_missing_column_lists_the_columns(client, app: LaunchedApp, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    table.write_text("id,body\n1,the good film\n2,a bad movie\n", encoding="utf-8")
    message = _error(client, api_name="/score", model_id=str(app.models["bert"]),
                     source="file", file=handle_file(table), column="text", max_samples=10)
    assert "Column 'text' is not in" in message and "id, body" in message


def test_compare_scores_ids_and_computes_kendall_tau(client, app: LaunchedApp) -> None:
    a, b = str(app.models["bert"]), str(app.models["bert2"])
    texts = factories_texts(50, seed=5)
    summary, table, plot = client.predict(
        api_name="/compare", model_ids=f"{a}\n{b}", extrinsic=f"{a} = 0.9\n{b} = 0.7",
        source="text", texts="\n".join(texts), max_samples=50, mi_neurons_per_layer=16)
    results = [infomem.score(m, texts, mi_neurons_per_layer=16, progress=False) for m in (a, b)]
    expected_tau = 1.0 if results[0].mean_entropy > results[1].mean_entropy else -1.0
    assert f"mean entropy **{expected_tau:+.2f}**" in summary
    rows = {row[1]: row for row in table["data"]}
    headers = table["headers"]
    assert set(rows) == {a, b}
    assert headers == [*ui._RANKING_COLUMNS, "extrinsic"]  # the empty table's, and extrinsic
    for model, result in zip((a, b), results, strict=True):
        assert rows[model][headers.index("mean entropy")] == pytest.approx(
            round(result.mean_entropy, 4))
        assert rows[model][headers.index("extrinsic")] == (0.9 if model == a else 0.7)
    first = max(results, key=lambda r: r.mean_entropy).model_id
    assert table["data"][0][1] == first  # rank 1: highest entropy
    assert plot["plot"].startswith("data:image/")


def test_compare_uploaded_results(client, app: LaunchedApp) -> None:
    files = [handle_file(app.results_dir / f"result-{x}.json") for x in "ab"]
    summary, table, _plot = client.predict(api_name="/compare", result_files=files,
                                           by="mean_mi")
    assert "Ranked by **mean MI (lowest first)**" in summary
    assert len(table["data"]) == 2
    mi = [row[table["headers"].index("mean MI")] for row in table["data"]]
    assert mi == sorted(mi)


def test_compare_refuses_incompatible_settings(client, app: LaunchedApp) -> None:
    files = [handle_file(app.results_dir / f"result-{x}.json") for x in "ac"]
    message = _error(client, api_name="/compare", result_files=files)
    assert "Cannot compare these 2 results" in message and "`bins` differs" in message


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"model_ids": "a/b\nc/d\ne/f\ng/h"}, "At most 3 models per comparison"),
        ({"model_ids": "a/b"}, "Compare needs at least two models"),
        ({"model_ids": "a/b\nc/d", "extrinsic": "a/b = 1\nx/y = 2"},
         "Extrinsic value given for 'x/y', which is not among the compared models: a/b, c/d"),
        ({"model_ids": "a/b\nc/d", "extrinsic": "a/b = 1"},
         "Give an extrinsic value for every compared model or for none; missing: c/d"),
        ({"model_ids": "a/b\nc/d", "extrinsic": "a/b is good"}, "Cannot read the extrinsic"),
    ],
)
def test_compare_bad_inputs_refused_before_any_model_loads(client, kwargs: dict, expected: str
                                                           ) -> None:
    assert expected in _error(client, api_name="/compare", **kwargs)


def test_leaderboard_reads_the_results_folder(client) -> None:
    arch, data, status, table = client.predict(api_name="/leaderboard")
    assert "3 results" in status
    assert "Skipped 2 file(s) that are not infomem results: `broken.json`, `notes.json`" in status
    assert len(table["data"]) == 3
    entropy = [row[table["headers"].index("mean entropy")] for row in table["data"]]
    assert entropy == sorted(entropy)
    groups = {row[table["headers"].index("bins")]: row[table["headers"].index("group")]
              for row in table["data"]}
    assert len(set(groups.values())) == 2  # bins=20 is its own group
    assert np.isfinite(entropy).all()


# --- UnitMem (Score tab) and Extraction ---------------------------------------------------


def test_unit_mem_matches_the_library(client, app: LaunchedApp) -> None:
    model, texts = str(app.models["bert"]), factories_texts(40, seed=13)
    headline, layers, top, path = client.predict(
        api_name="/unit_mem", model_id=model, source="text", texts="\n".join(texts),
        max_samples=40, seed=1, augmentations=2)
    direct = infomem.unit_mem_score(model, texts, augmentations=2, seed=1, max_samples=40,
                                    progress=False)
    saved = UnitMemReport.from_json(path)
    assert saved.settings["augmentations"] == 2 and saved.n_samples == 40
    for a, b in zip(saved.per_layer, direct.per_layer, strict=True):
        assert (a.name, a.n_units, a.n_at_one) == (b.name, b.n_units, b.n_at_one)
        assert a.mean == pytest.approx(b.mean, rel=1e-9)
        assert [(t.unit, t.example) for t in a.top] == [(t.unit, t.example) for t in b.top]
    assert layers["headers"] == unitmem.LAYER_COLUMNS
    assert [row[0] for row in layers["data"]] == [x.name for x in direct.per_layer]
    assert top["headers"] == unitmem.TOP_COLUMNS and top["data"]
    assert all(row[-1] == texts[row[-2]] for row in top["data"])  # the maximizing example's text
    assert "UnitMem of" in headline and "Caveat" in headline


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"augmentations": 0}, "`augmentations` must be an integer >= 1"),
        ({"augmentations": 9}, "`augmentations` = 9 is over this Space's 8 views per example"),
        ({"max_samples": MAX_SAMPLES + 1}, f"over this Space's cap of {MAX_SAMPLES}"),
        ({"source": "text", "texts": " "}, "The pasted text is empty"),
    ],
)
def test_unit_mem_bad_inputs_give_one_line_messages(client, kwargs: dict, expected: str) -> None:
    message = _error(client, api_name="/unit_mem", **{"max_samples": 20, **kwargs})
    assert expected in message and "\n" not in message.strip()


def test_extraction_matches_the_library(client, app: LaunchedApp) -> None:
    model = str(app.models["gpt2"])
    texts, reference = factories_texts(30, seed=11), factories_texts(20, seed=12)
    headline, table, path, scores = client.predict(
        api_name="/extraction", model_id=model, texts="\n".join(texts),
        reference="\n".join(reference), prefix_tokens=3, suffix_tokens=3, min_k=0.5)
    direct = infomem.extraction(model, texts, reference=reference, prefix_tokens=3,
                                suffix_tokens=3, min_k=0.5, progress=False)
    saved = ExtractionResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    for mine, theirs in ((saved.records, direct.records),
                         (saved.reference_records, direct.reference_records)):
        assert [r.to_dict() for r in mine] == [pytest.approx(r.to_dict()) for r in theirs]
    assert saved.min_k_auc == pytest.approx(direct.min_k_auc)
    assert scores["extraction_rate"] == pytest.approx(direct.extraction_rate)
    assert scores["n_skipped"] == direct.n_skipped > 0  # the short texts are counted
    assert table["headers"] == extracting.TABLE_COLUMNS
    assert len(table["data"]) == direct.n_used + direct.n_reference_used
    first = direct.records[0]
    assert table["data"][0][:3] == ["candidate", first.index, texts[first.index][:60]]
    assert f"{direct.n_extracted} of {direct.n_used} texts extracted" in headline
    assert "Membership test" in headline and "95% interval" in headline
    assert scores["activations"] is None and "Activations of" not in headline


def test_extraction_compares_the_activations_when_asked(client, app: LaunchedApp) -> None:
    model, texts = str(app.models["memorized"]), factories.random_texts(24)
    headline, _table, path, scores = client.predict(
        api_name="/extraction", model_id=model, texts="\n".join(texts), prefix_tokens=6,
        suffix_tokens=6, activations=True)
    direct = infomem.extraction(model, texts, prefix_tokens=6, suffix_tokens=6,
                                activations=True, progress=False).activations
    assert direct["skipped"] is None and direct["n_extracted"] == 12
    saved = ExtractionResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    for found in (saved.activations, scores["activations"]):
        for group in ("extracted", "not_extracted", "difference"):
            assert found[group] == pytest.approx(direct[group])
        assert found["probe"]["auc"] == pytest.approx(direct["probe"]["auc"])
    assert "**Activations of extracted vs other candidates.**" in headline
    assert f"| Extracted | 12 | {direct['extracted']['mean_entropy']:.3f} [" in headline
    assert f"held-out AUC {direct['probe']['auc']:.3f}" in headline


def test_extraction_reads_an_uploaded_table(client, app: LaunchedApp, tmp_path: Path) -> None:
    texts = factories_texts(12, seed=14)
    table = tmp_path / "candidates.csv"
    with table.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "body"], *([i, t] for i, t in enumerate(texts))])
    model = str(app.models["gpt2"])
    headline, _table, _path, scores = client.predict(
        api_name="/extraction", model_id=model, file=handle_file(table), column="body",
        prefix_tokens=2, suffix_tokens=2)
    direct = infomem.extraction(model, texts, prefix_tokens=2, suffix_tokens=2, progress=False)
    assert scores["n_texts"] == 12 and scores["n_used"] == direct.n_used
    assert "Add reference texts" in headline and scores["min_k_auc"] is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"model_id": ""}, "Extraction needs a causal LM"),
        ({"model_id": "bert"}, "Extraction needs a causal language model"),
        ({"model_id": "big"}, "over this Space's cap of 40M"),
        ({"texts": " \n "}, "No candidate texts"),
        ({"prefix_tokens": 0}, "`prefix_tokens` must be an integer >= 1"),
        ({"min_k": 0}, "`min_k` must be a number above 0"),
        ({"prefix_tokens": 30, "suffix_tokens": 30}, "extraction needs at least 60 tokens"),
    ],
)
def test_extraction_bad_inputs_give_one_line_messages(client, app: LaunchedApp, kwargs: dict,
                                                      expected: str) -> None:
    model = kwargs.pop("model_id", "gpt2")
    model_id = str(app.models[model]) if model in app.models else model
    message = _error(client, api_name="/extraction", model_id=model_id,
                     texts=kwargs.pop("texts", "the good film was fun\na bad movie"), **kwargs)
    assert expected in message and "\n" not in message.strip()
