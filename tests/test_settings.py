"""Settings: bad values and unknown names refused with the valid ones, and the paper's defaults."""

from __future__ import annotations

import pytest

from infomem.errors import InvalidInputError
from infomem.scoring.settings import Settings


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bins": 1}, "`bins` must be an integer >= 2"),
        ({"k": 0}, "`k` must be an integer >= 1"),
        ({"max_samples": 0}, "`max_samples` must be an integer >= 1"),
        ({"binning": "quantile"}, "`binning` must be one of 'global', 'layer', 'neuron'"),
        ({"mi_estimator": "kde"}, "`mi_estimator` must be one of"),
        ({"pooling": "max"}, "`pooling` must be one of"),
        ({"correction": "jackknife"}, "`correction` must be one of"),
        ({"bins": 2.5}, "received 2.5"),
        ({"layers": []}, "at least one module"),
        ({"layers": 1.5}, "`layers` must be module names or block indices .*received float"),
        ({"layers": True}, "received bool"),
        ({"layers": {"a": 1}}, "received dict"),
    ],
)
def test_settings_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        Settings(**kwargs)


def test_unknown_setting_lists_valid_names():
    with pytest.raises(InvalidInputError,
                       match="Unknown setting.*nbins.*did you mean bins.*valid ones: .*bins"):
        Settings.from_kwargs(nbins=10)


def test_defaults_are_the_papers():
    s = Settings()
    assert (s.bins, s.k, s.binning, s.max_samples, s.mi_neurons_per_layer) == (100, 3, "global", 2500, 64)
    assert "batch_size" not in s.score_affecting()


def test_one_layer_may_be_given_alone():
    assert Settings(layers=3).layers == ("3",)  # a block index, as on the CLI
    assert Settings(layers="encoder.layer.0").layers == ("encoder.layer.0",)
    assert Settings(layers=(0, "pooler")).layers == ("0", "pooler")
