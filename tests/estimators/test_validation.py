"""Bad input raises InvalidInputError saying what was wrong, what arrived, what to do."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from infomem.errors import InfomemError, InvalidInputError
from infomem.estimators import (
    bin_codes,
    binned_mi,
    binned_mi_from_codes,
    entropy,
    entropy_from_codes,
    ksg_mi,
    ksg_mi_pairs,
    ksg_mi_reference,
)

ACTS = np.random.default_rng(0).normal(size=(20, 4))


def _raises(match, fn, *args, **kwargs):
    with pytest.raises(InvalidInputError, match=match) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize("fn", [entropy, binned_mi, ksg_mi, bin_codes])
def test_non_finite_values_name_the_column(fn):
    a = ACTS.copy()
    a[3, 2] = np.nan
    a[5, 2] = np.inf
    a[0, 3] = -np.inf
    msg = _raises("NaN or infinite", fn, a)
    assert "3 NaN or infinite" in msg and "2 in neuron column 2" in msg and "1 other" in msg


@pytest.mark.parametrize("fn", [entropy, ksg_mi, binned_mi])
def test_not_two_dimensional(fn):
    msg = _raises("2-D", fn, np.zeros(10))
    assert "1-D" in msg and "(10,)" in msg and "reshape" in msg.lower()


def test_non_numeric_and_empty():
    _raises("numeric", entropy, np.array([["a", "b"]]))
    _raises("no neurons", entropy, np.zeros((5, 0)))
    msg = _raises("at least 1 example", entropy, np.zeros((0, 3)))
    assert "received 0" in msg


def test_too_few_examples_for_ksg():
    msg = _raises("k\\+1", ksg_mi, ACTS[:3], k=3)
    assert "received 3" in msg and "4" in msg and "lower `k`" in msg
    _raises("received 3", ksg_mi_pairs, ACTS[:3], [0], [1], k=3)
    _raises("received 1", ksg_mi_reference, [1.0], [2.0], k=1)


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_bad_k(backend):
    _raises("`k` must be >= 1", ksg_mi, ACTS, k=0, backend=backend)
    _raises("integer", ksg_mi_pairs, ACTS, [0], [1], k=2.5, backend=backend)


def test_bad_bins_and_names():
    _raises("`bins` must be >= 2", entropy, ACTS, bins=1)
    _raises("integer", bin_codes, ACTS, bins=10.0)
    msg = _raises("binning", entropy, ACTS, binning="per-layer")
    assert "'global', 'layer', 'neuron'" in msg and "'per-layer'" in msg
    msg = _raises("correction", entropy, ACTS, correction="mm")
    assert "'miller-madow'" in msg
    msg = _raises("backend", ksg_mi, ACTS, backend="gpu")
    assert "'auto', 'numba', 'cuda', 'torch'" in msg
    msg = _raises("backend", binned_mi_from_codes, np.zeros((5, 2), dtype=np.int64), 3, backend="cuda")
    assert "'auto', 'numba', 'torch'." in msg


def test_layer_sizes():
    _raises("layer_sizes", entropy, ACTS, binning="layer")
    msg = _raises("sum to the number of neurons", entropy, ACTS, binning="layer", layer_sizes=[2, 3])
    assert "(4)" in msg and "sum 5" in msg
    _raises("positive integers", entropy, ACTS, binning="layer", layer_sizes=[4, 0])
    _raises("positive integers", entropy, ACTS, binning="layer", layer_sizes=[1.5, 2.5])


def test_codes_checks():
    codes = np.zeros((5, 2), dtype=np.int64)
    codes[0, 0] = 7
    msg = _raises("n_bins", entropy_from_codes, codes, 5)
    assert "from 0 to 7" in msg
    _raises("integer array", binned_mi_from_codes, np.zeros((5, 2)), 3)
    _raises("2-D", entropy_from_codes, np.zeros(5, dtype=int), 3)


def test_pair_indices():
    msg = _raises("indices must lie in", ksg_mi_pairs, ACTS, [0, 4], [1, 1])
    assert "[0, 3]" in msg
    _raises("same length", ksg_mi_pairs, ACTS, [0, 1], [1])
    _raises("integer neuron indices", ksg_mi_pairs, ACTS, [0.0], [1.0])


def test_reference_shapes_and_missing_sklearn(monkeypatch):
    _raises("same length", ksg_mi_reference, np.zeros(5), np.zeros(6))
    monkeypatch.setitem(sys.modules, "sklearn.neighbors", None)
    with pytest.raises(InfomemError, match="pip install scikit-learn"):
        ksg_mi_reference(np.arange(5.0), np.arange(5.0))


def test_import_stays_light():
    code = (
        "import sys, infomem.estimators; "
        "print(sorted(m for m in ('torch', 'numba', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_devices_that_do_not_exist_are_one_line_errors():
    from infomem.activations.models import check_device_map
    from infomem.estimators._validation import check_device

    assert str(check_device("cpu")) == "cpu"
    assert "Unknown MI device 'gpu'" in _raises("gpu", check_device, "gpu")
    assert _raises("cuda:99", check_device, "cuda:99").startswith("The MI device 'cuda:99'")
    for fine in (None, "auto", "sequential", "cpu", {"": "cpu"}, {"encoder": "cpu", "head": "disk"}):
        check_device_map(fine)
    msg = _raises("device map", check_device_map, {"encoder": "cpu", "head": 99})
    assert msg.startswith("The device map 'cuda:99'") and "\n" not in msg
    assert "'auto'" in _raises("banana", check_device_map, "banana")
    with pytest.raises(InvalidInputError, match="CUDA"):
        binned_mi_from_codes(np.zeros((5, 2), dtype=np.int64), 3, backend="torch", device="cuda:99")
    with pytest.raises(InvalidInputError, match="CUDA"):
        ksg_mi(ACTS, backend="torch", device="cuda:99")


def test_tensors_are_checked_where_they_lie():
    """`check_device_acts` (GPU tensors, not copied to the host) says what `check_acts` says."""
    import torch

    from infomem.estimators._validation import check_device_acts

    assert "3-D tensor" in _raises("2-D", check_device_acts, torch.zeros(2, 3, 4))
    _raises("real numbers", check_device_acts, torch.zeros(5, 2, dtype=torch.bool))
    _raises("examples and neurons", check_device_acts, torch.zeros(0, 3))
    t = torch.from_numpy(ACTS.copy())
    t[3, 2] = float("nan")
    assert "1 in neuron column 2" in _raises("NaN or infinite", check_device_acts, t)
    assert check_device_acts(torch.from_numpy(ACTS)).shape == ACTS.shape
