"""The options catalogue: every option reachable from the CLI, the metric, the Python API
and (where the Space exposes it) the Space, with one rule and one message shape each."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from infomem.errors import InvalidInputError
from infomem.options import OPTIONS, in_group, split_options
from infomem.scoring.scores import score
from infomem.scoring.settings import Settings


def test_settings_fields_are_the_catalogues_settings_group():
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert fields == {o.name: o.default for o in in_group("settings")}
    comparable = set(Settings().score_affecting())
    assert comparable == {o.name for o in in_group("settings") if o.scores}


@pytest.mark.parametrize("command", sorted({o.command for o in OPTIONS.values()}))
def test_every_option_has_a_flag_in_its_commands_help_with_its_help_and_default(command):
    proc = subprocess.run([sys.executable, "-m", "infomem.cli", command, "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    shown = " ".join(proc.stdout.split())
    for opt in (o for o in OPTIONS.values() if o.command == command):
        if opt.cli_flag is None:  # e.g. a Python callable
            assert opt.not_everywhere, opt.name
            continue
        assert opt.cli_flag in shown, opt.name
        assert " ".join(opt.help_with_default().split()) in shown, opt.name


def _bad_value(opt):
    return {"int": -5, "fraction": 1.5, "bool": "yes", "choice": "no-such-choice",
            "several": "no-such-choice", "str": 12}.get(opt.kind)


@pytest.mark.parametrize("name", [n for n, o in OPTIONS.items() if _bad_value(o) is not None
                                  and o.command in ("score", "unitmem")])
def test_every_checked_option_is_refused_by_name_before_model_work(name):
    # score() checks everything at the boundary: no model id here would load in time.
    with pytest.raises(InvalidInputError, match=f"`{name}`"):
        score("no/such-model-anywhere", ["a text"] * 5, progress=False,
              **{name: _bad_value(OPTIONS[name])})


@pytest.mark.parametrize("name", ["intervals", "n_bootstrap"])
def test_one_replicate_is_refused_and_zero_switches_intervals_off(name):
    with pytest.raises(InvalidInputError, match=f"`{name}` must be 0 \\(off\\) or an integer >= 2; "
                       "received 1. One replicate has no spread"):
        Settings(**{name: 1})
    assert getattr(Settings(**{name: 0}), name) == 0 and getattr(Settings(**{name: 2}), name) == 2


def test_a_layer_named_twice_is_refused_before_model_work():
    with pytest.raises(InvalidInputError, match="`layers` lists '1' more than once"):
        score("no/such-model-anywhere", ["a text"] * 5, progress=False, layers=["1", "0", "1"])


def test_the_metric_takes_every_metric_option_and_says_why_not_for_the_rest():
    from infomem.glue.evaluate_module import InfoMem

    metric, extraction = InfoMem(), InfoMem(config_name="extraction")
    for opt in OPTIONS.values():
        bad = _bad_value(opt)
        if opt.metric and bad is not None:
            with pytest.raises(InvalidInputError, match=f"`{opt.name}`"):
                (extraction if opt.group == "extraction" else metric).compute(
                    predictions=["a text"] * 5, **{opt.name: bad})
        elif not opt.metric:
            assert opt.not_everywhere
            with pytest.raises(Exception, match=opt.not_everywhere.split()[0]):
                metric.compute(predictions=["a text"] * 5, **{opt.name: None})


def test_the_space_form_has_a_control_per_space_option():
    from infomem.space.handlers import EstimatorChoice

    fields = {f.name for f in dataclasses.fields(EstimatorChoice)}
    assert fields == {o.name for o in OPTIONS.values() if o.space}
    for name in fields - {"max_samples"}:  # the Space samples fewer by default
        assert getattr(EstimatorChoice(), name) == OPTIONS[name].default


def test_settings_and_setting_keywords_together_are_refused():
    with pytest.raises(InvalidInputError, match="either `settings=` or setting keywords.*bins"):
        score("no/such-model", ["a"] * 5, settings=Settings(), bins=5, progress=False)


def test_unknown_option_suggests_the_close_name():
    with pytest.raises(InvalidInputError, match="did you mean max_samples"):
        split_options({"max_sample": 3})
