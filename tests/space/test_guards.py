"""Request checks (infomem.space.guards): model ids against the Hub's id form and the local-path
rule, the sample cap, and the parameter estimate from a config without weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from infomem.errors import InvalidInputError, ModelLoadError
from infomem.space import SpaceConfig, guards


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


def test_revisions_and_compare_lines(tmp_path: Path) -> None:
    for empty in ("", "  ", None):
        assert guards.resolve_revision(empty) is None
    assert guards.resolve_revision(" v1.0 ") == "v1.0"
    assert guards.resolve_revision("refs/pr/1") == "refs/pr/1"
    for bad in ("two words", "a..b", "tab\there"):
        with pytest.raises(InvalidInputError, match="is not a branch, tag or commit name"):
            guards.resolve_revision(bad)
    assert guards.split_revision("org/model") == ("org/model", None)
    assert guards.split_revision("org/model@0123abc") == ("org/model", "0123abc")
    assert guards.split_revision("org/model@refs/pr/1") == ("org/model", "refs/pr/1")
    folder = tmp_path / "run@step-100"  # a local path is taken whole, '@' and all
    folder.mkdir()
    assert guards.split_revision(str(folder)) == (str(folder), None)
    for bad in ("org/model@", "@v1", "org/model@ "):
        with pytest.raises(InvalidInputError, match="write `org/model`, or `org/model@revision`"):
            guards.split_revision(bad)
