"""UnitMem against a plain per-unit numpy reference (max, drop the argmax, median, ratio)."""

from __future__ import annotations

import numpy as np
import pytest

from infomem.errors import InvalidInputError
from infomem.estimators import summarize_unit_mem, unit_mem


def reference(mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UnitMem per unit by the definition, one unit at a time; NaN where m + med == 0."""
    values, argmax = [], []
    for col in mu.T:
        i = int(np.argmax(col))
        m = col[i]
        med = np.median(np.delete(col, i))
        values.append((m - med) / (m + med) if m + med != 0 else np.nan)
        argmax.append(i)
    return np.array(values), np.array(argmax)


def check(acts: np.ndarray) -> None:
    r = unit_mem(acts)
    want, idx = reference(acts if acts.ndim == 2 else acts.mean(axis=1))
    np.testing.assert_allclose(r.values, want, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(r.argmax, idx)
    np.testing.assert_array_equal(r.defined, ~np.isnan(want))


@pytest.mark.parametrize("s", [2, 3, 4, 5, 50, 101])
def test_random_nonnegative_matches_reference(s):
    rng = np.random.default_rng(s)
    check(rng.exponential(size=(s, 40)))


@pytest.mark.parametrize("s", [2, 3, 10, 201])
def test_sparse_relu_like_matches_reference(s):
    rng = np.random.default_rng(s)
    acts = np.maximum(rng.normal(loc=-0.5, size=(s, 64)), 0)  # ~70% exact zeros
    check(acts)
    r = unit_mem(acts)
    mostly_zero = (acts == 0).sum(axis=0) > s // 2
    assert np.all(r.values[mostly_zero & r.defined] == 1.0)


def test_ties_for_the_maximum_give_the_lowest_index():
    acts = np.array([[1.0, 2.0, 3.0], [5.0, 2.0, 3.0], [5.0, 7.0, 1.0], [5.0, 7.0, 3.0]])
    check(acts)
    r = unit_mem(acts)
    np.testing.assert_array_equal(r.argmax, [1, 2, 0])
    assert r.values[0] == 0.0  # max 5, the rest 1, 5, 5: median 5
    assert r.values[1] == pytest.approx((7 - 2) / (7 + 2))
    assert r.values[2] == 0.0


def test_constant_positive_units_give_zero():
    r = unit_mem(np.full((7, 3), 2.5))
    np.testing.assert_array_equal(r.values, 0.0)
    assert r.defined.all()


def test_all_zero_units_are_undefined_not_inf():
    acts = np.zeros((6, 4))
    acts[2, 1] = 3.0
    with np.errstate(all="raise"):
        r = unit_mem(acts)
    np.testing.assert_array_equal(r.defined, [False, True, False, False])
    assert np.isnan(r.values[~r.defined]).all() and not np.isinf(r.values).any()
    assert r.values[1] == 1.0
    check(acts)


def test_undefined_raise_refuses_all_zero_units():
    acts = np.ones((4, 3))
    acts[:, 2] = 0
    with pytest.raises(InvalidInputError, match="1 all-zero unit.*unit 2") as e:
        unit_mem(acts, undefined="raise")
    assert "\n" not in str(e.value)
    unit_mem(np.ones((4, 3)), undefined="raise")


def test_s_equals_2_uses_the_other_value():
    r = unit_mem(np.array([[3.0, 1.0, 0.0], [1.0, 3.0, 0.0]]))
    np.testing.assert_allclose(r.values[:2], [0.5, 0.5])
    np.testing.assert_array_equal(r.argmax[:2], [0, 1])
    np.testing.assert_array_equal(r.median_rest[:2], [1.0, 1.0])
    assert not r.defined[2]


@pytest.mark.parametrize("a", [1, 3, 10])
def test_views_are_averaged_per_example(a):
    rng = np.random.default_rng(a)
    views = np.maximum(rng.normal(size=(30, a, 20)), 0)
    r3, r2 = unit_mem(views), unit_mem(views.mean(axis=1))
    np.testing.assert_array_equal(r3.values, r2.values)
    np.testing.assert_array_equal(r3.argmax, r2.argmax)
    assert (r3.n_examples, r3.n_views) == (30, a)
    check(views)


def test_float32_and_torch_inputs():
    torch = pytest.importorskip("torch")
    acts = np.random.default_rng(0).exponential(size=(20, 5)).astype(np.float32)
    want = unit_mem(acts.astype(np.float64)).values
    np.testing.assert_array_equal(unit_mem(acts).values, want)
    np.testing.assert_array_equal(unit_mem(torch.from_numpy(acts)).values, want)


def test_negative_values_are_refused_in_one_line():
    acts = np.ones((5, 4))
    acts[0, 1] = -0.17
    acts[3, 3] = -0.01
    with pytest.raises(InvalidInputError, match="2 negative value.*2 unit.*unit 1") as e:
        unit_mem(acts)
    assert "\n" not in str(e.value) and "post-activation" in str(e.value)


@pytest.mark.parametrize(
    ("acts", "match"),
    [
        (np.ones((1, 3)), "at least 2 examples.*received 1"),
        (np.ones((1, 4, 3)), "at least 2 examples.*received 1"),
        (np.ones((5, 0, 3)), "at least 1 view"),
        (np.ones((5, 0)), "1 unit"),
        (np.ones(5), "2-D .* or 3-D"),
        (np.array([["a", "b"], ["c", "d"]]), "numeric"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), "NaN or infinite"),
    ],
)
def test_bad_input_one_line(acts, match):
    with pytest.raises(InvalidInputError, match=match) as e:
        unit_mem(acts)
    assert "\n" not in str(e.value)


def test_unknown_undefined_option():
    with pytest.raises(InvalidInputError, match="undefined"):
        unit_mem(np.ones((3, 2)), undefined="zero")  # type: ignore[arg-type]


def test_summary_skips_undefined_units_and_ranks_top_units():
    acts = np.zeros((10, 5))
    acts[:, 0] = 1.0  # constant: 0
    acts[:, 1] = 1.0
    acts[4, 1] = 10.0  # max 10 vs 1: 9/11
    acts[7, 2] = 2.0  # one example only: 1
    acts[:, 3] = np.arange(1, 11)  # 10 vs median 5: 5/15
    r = unit_mem(acts)  # unit 4 is all zero
    s = summarize_unit_mem(r, top_k=3)
    vals = np.array([0.0, 9 / 11, 1.0, 1 / 3])
    assert (s.n_units, s.n_defined) == (5, 4)
    assert s.mean == pytest.approx(vals.mean())
    assert s.median == pytest.approx(np.median(vals))
    assert (s.q1, s.q3) == pytest.approx(tuple(np.percentile(vals, [25, 75])))
    assert s.share_above == {0.5: 0.5, 0.9: 0.25}
    assert [(t.unit, t.example) for t in s.top] == [(2, 7), (1, 4), (3, 9)]
    assert s.top[0].value == 1.0


def test_summary_ties_keep_unit_order_and_empty_layers():
    r = unit_mem(np.eye(4))
    assert [t.unit for t in summarize_unit_mem(r, top_k=10).top] == [0, 1, 2, 3]
    empty = summarize_unit_mem(unit_mem(np.zeros((3, 2))))
    assert empty.n_defined == 0 and empty.mean is None and empty.top == ()
    assert empty.share_above == {0.5: None, 0.9: None}
