"""Binning and binned entropy against numpy.histogram + scipy.stats.entropy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from infomem.estimators import bin_codes, entropy, entropy_from_codes


def _ranges(a: np.ndarray, binning: str, layer_sizes=None):
    """Per-column (lo, hi) as Python floats, computed independently of the package."""
    n = a.shape[1]
    if binning == "global":
        return [(float(a.min()), float(a.max()))] * n
    if binning == "neuron":
        return [(float(a[:, j].min()), float(a[:, j].max())) for j in range(n)]
    out, start = [], 0
    for size in layer_sizes:
        block = a[:, start : start + size]
        out += [(float(block.min()), float(block.max()))] * size
        start += size
    return out


def _oracle_counts(a, bins, binning, layer_sizes=None):
    return [
        np.histogram(a[:, j], bins=bins, range=rng)[0]
        for j, rng in enumerate(_ranges(a, binning, layer_sizes))
    ]


def _oracle_entropy(a, bins, binning, layer_sizes=None):
    return np.array([scipy.stats.entropy(c) for c in _oracle_counts(a, bins, binning, layer_sizes)])


def _edge_data(dtype=np.float64) -> np.ndarray:
    """Columns full of values that sit exactly on (or one rounding away from) bin edges."""
    lo, hi = -1.3, 2.7
    cols = []
    for b in (3, 7, 10, 100):
        v = lo + np.arange(b + 1) * (hi - lo) / b
        cols.append(np.concatenate([v, np.linspace(lo, hi, 60)]))
    unit = np.concatenate([np.arange(11) * 0.1, np.arange(11) / 10, [0.1 * 3, 0.7, 0.1 + 0.2]])
    cols.append(unit * (hi - lo) + lo)
    s = max(len(c) for c in cols)
    a = np.stack([np.resize(c, s) for c in cols], axis=1).astype(dtype)
    a[0, 0], a[1, 0] = lo, hi  # the global range is exactly [lo, hi]
    return a


@pytest.mark.parametrize("binning", ["global", "layer", "neuron"])
@pytest.mark.parametrize("s", [1, 2, 4, 50, 2500])
def test_entropy_matches_histogram_oracle(binning, s):
    rng = np.random.default_rng(s)
    a = rng.normal(size=(s, 6)) * np.array([1, 2, 0.5, 3, 1, 1])
    a[:, 4] = np.round(a[:, 4], 1)  # ties
    a[:, 5] = 0.25  # constant neuron
    sizes = [2, 4]
    got = entropy(a, bins=30, binning=binning, layer_sizes=sizes)
    np.testing.assert_allclose(got, _oracle_entropy(a, 30, binning, sizes), rtol=1e-12, atol=1e-12)
    if s > 1 and binning == "neuron":
        assert got[5] == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bins", [3, 7, 10, 100])
def test_values_on_edges_get_numpys_bin(dtype, bins):
    a = _edge_data(dtype)
    codes, n_bins = bin_codes(a, bins=bins)
    assert n_bins == bins
    lo, hi = float(a.min()), float(a.max())
    expected = np.empty(a.shape, dtype=np.int64)
    for idx, v in np.ndenumerate(a):
        expected[idx] = np.flatnonzero(np.histogram(np.array([v]), bins=bins, range=(lo, hi))[0])[0]
    np.testing.assert_array_equal(codes, expected)
    # and a naive floor disagrees on this data, so the test has teeth
    naive = np.minimum(np.floor((a.astype(np.float64) - lo) / (hi - lo) * bins), bins - 1)
    if bins > 3:
        assert (naive != expected).any()


@pytest.mark.parametrize("binning", ["global", "neuron"])
def test_edge_data_entropy(binning):
    a = _edge_data()
    got = entropy(a, bins=10, binning=binning)
    np.testing.assert_allclose(got, _oracle_entropy(a, 10, binning), rtol=1e-12, atol=1e-12)


def test_codes_dtype_and_range():
    a = np.random.default_rng(0).normal(size=(100, 3))
    codes, n = bin_codes(a, bins=100)
    assert codes.dtype == np.uint8 and n == 100 and codes.max() <= 99
    codes, n = bin_codes(a, bins=300)
    assert codes.dtype == np.uint16 and n == 300
    codes, n = bin_codes(a, bins=255, paper_digitize=True)
    assert codes.dtype == np.uint8 and n == 256


def test_degenerate_range_goes_to_bin_zero():
    a = np.full((10, 2), 3.5)
    codes, _ = bin_codes(a, bins=10, binning="neuron")
    assert (codes == 0).all()
    np.testing.assert_array_equal(entropy(a, bins=10), [0.0, 0.0])


def test_layer_binning_uses_each_layers_range():
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.normal(size=(200, 2)), 100 + 10 * rng.normal(size=(200, 3))], axis=1)
    got = entropy(a, bins=20, binning="layer", layer_sizes=[2, 3])
    np.testing.assert_allclose(got, _oracle_entropy(a, 20, "layer", [2, 3]), rtol=1e-12)
    # with one global range the first layer collapses into a couple of bins
    assert entropy(a, bins=20)[:2].max() < got[:2].min()


def test_miller_madow():
    rng = np.random.default_rng(2)
    a = np.round(rng.normal(size=(80, 4)), 1)
    plain = entropy(a, bins=25, binning="neuron")
    mm = entropy(a, bins=25, binning="neuron", correction="miller-madow")
    counts = _oracle_counts(a, 25, "neuron")
    m = np.array([np.count_nonzero(c) for c in counts])
    np.testing.assert_allclose(mm, plain + (m - 1) / (2 * 80), rtol=1e-12)
    assert (mm > plain).all()


@pytest.mark.parametrize("binning", ["global", "neuron"])
def test_paper_digitize_matches_paper_code(binning):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 5)).astype(np.float32)
    a[:, 2] = np.round(a[:, 2])
    codes, n_bins = bin_codes(a, bins=20, binning=binning, paper_digitize=True)
    assert n_bins == 21
    if binning == "global":
        edges = [np.histogram(a.reshape(-1), bins=20)[1]] * a.shape[1]
    else:
        edges = [np.histogram(a[:, j], bins=20)[1] for j in range(a.shape[1])]
    for j in range(a.shape[1]):
        paper = np.digitize(a[:, j], edges[j])
        np.testing.assert_array_equal(codes[:, j].astype(np.int64) + 1, paper)
        _, counts = np.unique(paper, return_counts=True)
        got = entropy(a[:, j : j + 1], bins=20, binning="neuron", paper_digitize=True)
        if binning == "neuron":
            np.testing.assert_allclose(got[0], scipy.stats.entropy(counts), rtol=1e-12)
    # the maximum sits alone in the extra bin
    col = int(np.argmax(a.max(axis=0))) if binning == "global" else 0
    top = codes[:, col] == 20
    assert top.any() and (a[top, col] == a[:, col].max()).all()


def test_entropy_from_codes_matches_scipy():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 7, size=(500, 4)).astype(np.int32)
    codes[:, 3] = 2
    got = entropy_from_codes(codes, 7)
    exp = [scipy.stats.entropy(np.bincount(codes[:, j], minlength=7)) for j in range(4)]
    np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-15)
    assert got[3] == 0.0
