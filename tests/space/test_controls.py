"""The form controls (infomem.space.controls): the form fields are the request dataclasses' fields
in the API order, and `spread` shows one parameter per field and builds the requests."""

from __future__ import annotations

import dataclasses

from infomem.space import comparing, handlers


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
