"""The Compare tab's parsing (infomem.space.comparing): extrinsic values pasted as text, and
rankings that refuse unknown choices."""

from __future__ import annotations

import pytest

from infomem.errors import InvalidInputError
from infomem.scoring.selection import unique_labels
from infomem.space import comparing


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


def test_ranking_refuses_unknown_choices() -> None:
    with pytest.raises(InvalidInputError, match="Rank by one of mean_entropy"):
        comparing.Ranking(by="speed").check(["a", "b"])
    with pytest.raises(InvalidInputError, match="`expect` must be one of shortcut, example"):
        comparing.Ranking(expect="both").check(["a", "b"])
    assert comparing.Ranking(extrinsic="a = 1\nb = 2").check(["a", "b"]) == {"a": 1.0, "b": 2.0}


def test_summary_says_why_a_tau_is_missing() -> None:
    import numpy as np

    from infomem.activations.hooks import Activations
    from infomem.scoring.scores import score_activations
    from infomem.scoring.selection import compare
    from infomem.scoring.settings import Settings

    rng = np.random.default_rng(0)
    results = [score_activations(Activations(rng.normal(size=(40, 6)) * (1 + i), ("layer.0",), (6,)),
                                 Settings(mi_estimator="binned", bins=10),
                                 model_info={"id": f"m{i}"}, data_info={"fingerprint": "x"})
               for i in range(2)]
    summary = comparing._summary(compare(results, extrinsic=[0.7, 0.7], extrinsic_name="acc"))
    assert "No tau for mean entropy: every model has the same acc." in summary
    assert "No tau for mean MI: every model has the same acc." in summary
