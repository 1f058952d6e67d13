"""infomem.scoring.selection and `infomem compare`: ranking, Kendall tau, refusals, JSON, CLI."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from infomem.activations.hooks import Activations
from infomem.cli import main
from infomem.errors import IncompatibleResultsError, InvalidInputError
from infomem.scoring.result import Result
from infomem.scoring.scores import score_activations
from infomem.scoring.selection import compare, kendall_tau
from infomem.scoring.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore:Only .* examples:UserWarning")

FAST = {"mi_estimator": "binned", "bins": 20}


def _result(
    seed: int = 0, *, n: int = 60, sizes=(8, 8), fingerprint="abc", matrix=False, **knobs
) -> Result:
    """A real Result from random activations (scale differs per seed, so scores differ)."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, sum(sizes))).astype(np.float32)
    values[:, :4] *= 1 + seed  # wider first neurons: scores move with the seed
    acts = Activations(values, tuple(f"layer.{i}" for i in range(len(sizes))), tuple(sizes))
    return score_activations(
        acts, Settings(**{**FAST, **knobs}),
        model_info={"id": f"model-{seed}", "architecture": "MLP"},
        data_info={"kind": "tensor", "fingerprint": fingerprint}, return_mi_matrix=matrix,
    )


def _with_scores(result: Result, h: float, mi: float | None, model_id: str) -> Result:
    return dataclasses.replace(result, mean_entropy=h, median_entropy=h, mean_mi=mi,
                               model={**result.model, "id": model_id})


@pytest.fixture(scope="module")
def trio() -> list[Result]:
    base = _result()
    return [_with_scores(base, 2.0, 0.30, "a"), _with_scores(base, 3.0, 0.10, "b"),
            _with_scores(base, 1.0, 0.50, "c")]


# --- Kendall tau --------------------------------------------------------------------------


def test_kendall_tau_hand_computed() -> None:
    # 5 concordant pairs, 1 discordant: (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # one tie in x: tau-b = 5 / sqrt((6 - 1) * (6 - 0))
    assert kendall_tau([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / math.sqrt(30))
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau([1.0], [2.0]) is None
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None  # constant: undefined


# --- ranking -----------------------------------------------------------------------------


def test_ranks_and_order(trio: list[Result]) -> None:
    comp = compare(trio)
    assert comp.labels == ["b", "a", "c"]  # highest entropy first
    ranks = {row.label: (row.rank_entropy, row.rank_mi) for row in comp.rows}
    assert ranks == {"b": (1, 1), "a": (2, 2), "c": (3, 3)}
    assert comp.kendall_tau is None and comp.agreement is None
    by_mi = compare(trio, by="mean_mi", labels=["x", "y", "z"])
    assert by_mi.labels == ["y", "x", "z"]  # lowest MI first


def test_tau_sign_convention_shortcut(trio: list[Result]) -> None:
    # Shortcut setup: higher entropy / lower MI -> higher shortcut-free accuracy.
    comp = compare(trio, extrinsic={"a": 0.8, "b": 0.9, "c": 0.5}, labels=["a", "b", "c"],
                   extrinsic_name="ood_acc")
    assert comp.kendall_tau == {"mean_entropy": pytest.approx(1.0), "mean_mi": pytest.approx(-1.0)}
    assert comp.expected_sign == {"mean_entropy": 1, "mean_mi": -1}
    assert comp.agreement == {"mean_entropy": pytest.approx(1.0), "mean_mi": pytest.approx(1.0)}
    assert [row.extrinsic for row in comp.rows] == [0.9, 0.8, 0.5]


def test_tau_sign_convention_example_and_lower_is_better(trio: list[Result]) -> None:
    # Example-level memorization: higher entropy -> lower test accuracy.
    comp = compare(trio, extrinsic=[0.8, 0.5, 0.9], expect="example")
    assert comp.kendall_tau["mean_entropy"] == pytest.approx(-1.0)
    assert comp.agreement == {"mean_entropy": pytest.approx(1.0), "mean_mi": pytest.approx(1.0)}
    gap = compare(trio, extrinsic=[0.2, 0.5, 0.1], expect="example", higher_is_better=False)
    assert gap.expected_sign == {"mean_entropy": 1, "mean_mi": -1}
    assert gap.agreement["mean_entropy"] == pytest.approx(1.0)


def test_partial_agreement_matches_tau(trio: list[Result]) -> None:
    comp = compare(trio, extrinsic=[0.9, 0.8, 0.5])  # a > b > c, entropy says b > a > c
    assert comp.kendall_tau["mean_entropy"] == pytest.approx(1 / 3)


def test_missing_mi_gives_no_rank(trio: list[Result]) -> None:
    no_mi = [dataclasses.replace(r, mean_mi=None) for r in trio]
    comp = compare(no_mi, extrinsic=[1, 2, 3])
    assert all(row.rank_mi is None for row in comp.rows)
    assert comp.kendall_tau["mean_mi"] is None
    with pytest.raises(InvalidInputError, match="without MI"):
        compare(no_mi, by="mean_mi")


def test_an_undefined_tau_says_why(trio: list[Result]) -> None:
    from rich.console import Console

    assert compare(trio, extrinsic=[0.5, 0.6, 0.7]).undefined_taus() == {}
    same_metric = compare(trio, extrinsic=[0.5, 0.5, 0.5], extrinsic_name="ood_acc")
    assert same_metric.undefined_taus() == {"mean_entropy": "every model has the same ood_acc",
                                            "mean_mi": "every model has the same ood_acc"}
    console = Console(record=True, width=160)
    console.print(same_metric.table())
    assert "no tau for mean_entropy, mean_mi: every model has the same ood_acc" in console.export_text()
    tied = [_with_scores(r, 2.0, r.mean_mi, r.model_id) for r in trio]
    assert compare(tied, extrinsic=[1, 2, 3]).to_dict()["kendall_tau_undefined"] == {
        "mean_entropy": "every model has the same mean entropy"}
    no_mi = [dataclasses.replace(r, mean_mi=None) for r in trio]
    assert compare(no_mi, extrinsic=[1, 2, 3]).undefined_taus() == {
        "mean_mi": "some results were scored without MI"}


def test_duplicate_ids_get_distinct_labels() -> None:
    comp = compare([_result(0), _result(0)])
    assert sorted(comp.labels) == ["model-0", "model-0 (2)"]
    v1, v2 = (dataclasses.replace(_result(0), model={**_result(0).model, "sha": sha * 40})
              for sha in "ab")
    assert sorted(compare([v2, v1, _result(1)]).labels) == [
        "model-0 @ aaaaaaa", "model-0 @ bbbbbbb", "model-1"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"extrinsic": [1.0]}, "1 values for 3 results"),
     ({"extrinsic": {"a": 1.0}, "labels": ["a", "b", "c"]}, "missing"),
     ({"extrinsic": [1.0, float("nan"), 2.0]}, "finite"),
     ({"by": "entropy"}, "`by` must be one of"),
     ({"expect": "heuristic"}, "`expect`"),
     ({"labels": ["a"]}, "1 names for 3 results")],
)
def test_bad_arguments(trio: list[Result], kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        compare(trio, **kwargs)


def test_needs_two_results(trio: list[Result]) -> None:
    with pytest.raises(InvalidInputError, match="at least two"):
        compare(trio[:1])


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_different_settings_naming_them() -> None:
    with pytest.raises(IncompatibleResultsError) as err:
        compare([_result(0), _result(1, bins=50), _result(2)], labels=["a", "b", "c"])
    msg = str(err.value)
    assert "`bins` differs: 20 (a, c); 50 (b)" in msg
    assert "n_samples" not in msg and "mi_estimator" not in msg


def test_refuses_different_sample_count_inputs_and_architecture() -> None:
    with pytest.raises(IncompatibleResultsError, match=r"`n_samples` differs: 60 \(a\); 40 \(b\)"):
        compare([_result(0), _result(1, n=40)], labels=["a", "b"])
    inputs = r"`inputs` differs: 'abc' \(a\); 'xyz' \(b\)"
    with pytest.raises(IncompatibleResultsError, match=inputs):
        compare([_result(0), _result(1, fingerprint="xyz")], labels=["a", "b"])
    layers = r"`layers` differs: \[layer.0 x8, layer.1 x8\]"
    with pytest.raises(IncompatibleResultsError, match=layers):
        compare([_result(0), _result(1, sizes=(8, 4))], labels=["a", "b"])
    other = dataclasses.replace(_result(1), model={"id": "m", "architecture": "ResNet"})
    with pytest.raises(IncompatibleResultsError, match="`architecture` differs: 'MLP'"):
        compare([_result(0), other])


def test_allow_different_data_escape_hatch() -> None:
    comp = compare([_result(0), _result(1, fingerprint="xyz")], allow_different_data=True)
    assert len(comp.rows) == 2
    with pytest.raises(IncompatibleResultsError, match="bins"):  # settings still checked
        compare([_result(0), _result(1, bins=7)], allow_different_data=True)


def test_runtime_only_settings_do_not_block() -> None:
    assert len(compare([_result(0), _result(1, batch_size=3)]).rows) == 2


# --- outputs ------------------------------------------------------------------------------------


def test_to_dict_is_json(trio: list[Result]) -> None:
    comp = compare(trio, extrinsic=[0.8, 0.9, 0.5], extrinsic_name="acc")
    data = json.loads(json.dumps(comp.to_dict()))
    assert data["extrinsic_name"] == "acc" and data["n_samples"] == 60
    assert [row["label"] for row in data["rows"]] == ["b", "a", "c"]
    assert data["kendall_tau"]["mean_entropy"] == pytest.approx(1.0)
    assert data["settings"]["bins"] == 20


def test_table_and_plot(trio: list[Result], tmp_path) -> None:
    from rich.console import Console

    comp = compare(trio, extrinsic=[0.8, 0.9, 0.5], extrinsic_name="ood_acc")
    console = Console(record=True, width=160)
    console.print(comp.table())
    text = console.export_text()
    assert "ood_acc" in text and "Kendall tau" in text and "+1.00" in text
    comp.plot(tmp_path / "cmp.png")
    assert (tmp_path / "cmp.png").stat().st_size > 1000


def test_plot_shows_mi_distributions_when_matrices_kept(tmp_path) -> None:
    import matplotlib.pyplot as plt

    comp = compare([_result(0, matrix=True), _result(1, matrix=True)], labels=["a", "b"])
    fig = comp.plot(tmp_path / "violins.png")
    right = fig.axes[1]
    assert right.get_ylabel() == "pairwise MI (nats)"
    assert sorted(t.get_text() for t in right.get_xticklabels()) == ["a", "b"]
    plt.close(fig)


def test_scores_a_real_mlp_and_compares(tmp_path) -> None:
    torch = pytest.importorskip("torch")

    import infomem

    x = torch.randn(80, 10, generator=torch.Generator().manual_seed(0))
    results = []
    for seed in range(2):
        torch.manual_seed(seed)
        mlp = torch.nn.Sequential(torch.nn.Linear(10, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
        results.append(infomem.score(mlp, x, progress=False, **FAST))
    comp = infomem.compare(results, labels=["s0", "s1"])
    assert {row.label for row in comp.rows} == {"s0", "s1"}


# --- CLI ------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path, trio: list[Result]) -> list[str]:
    paths = []
    for name, result in zip("abc", trio, strict=True):
        path = tmp_path / f"{name}.json"
        result.to_json(path)
        paths.append(str(path))
    return paths


def test_cli_table(files: list[str], capsys) -> None:
    assert main(["compare", *files, "--extrinsic", "a=0.8", "b=0.9", "c=0.5",
                 "--extrinsic-name", "ood_acc"]) == 0
    out = capsys.readouterr().out
    assert "ood_acc" in out and "+1.00" in out
    assert out.index("│ b") < out.index("│ a") < out.index("│ c")


def test_cli_json_and_plot(files: list[str], capsys, tmp_path) -> None:
    plot = tmp_path / "cmp.png"
    assert main(["compare", *files, "--labels", "x", "y", "z", "--extrinsic", "0.8", "0.5",
                 "0.9", "--expect", "example", "--by", "mean_mi", "--json",
                 "--plot", str(plot)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["label"] for row in data["rows"]] == ["y", "x", "z"]
    assert data["agreement"]["mean_entropy"] == pytest.approx(1.0)
    assert plot.exists()


def test_cli_refusal_is_one_line(tmp_path, capsys) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _result(0).to_json(a)
    _result(1, k=5).to_json(b)
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot compare") and "`k` differs: 3 (a); 5 (b)" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "match"),
    [(["--extrinsic", "a=x"], "not a number"),
     (["--extrinsic", "a=1", "2"], "mixes"),
     (["--extrinsic", "a=1", "b=2", "c=3", "d=4"], "unknown"),
     (["--labels", "a"], "1 names for 3 results")],
)
def test_cli_user_errors(files: list[str], capsys, extra: list[str], match: str) -> None:
    assert main(["compare", *files, *extra]) == 2
    assert match in capsys.readouterr().err


def test_cli_refuses_a_file_given_twice(files: list[str], capsys) -> None:
    same = str(Path(files[0]).parent / "." / Path(files[0]).name)  # another spelling
    assert main(["compare", files[0], files[1], same]) == 2
    err = capsys.readouterr().err
    assert "is given twice" in err and err.count("\n") == 1


def test_cli_missing_file(tmp_path, capsys) -> None:
    assert main(["compare", str(tmp_path / "nope.json"), str(tmp_path / "nope2.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
