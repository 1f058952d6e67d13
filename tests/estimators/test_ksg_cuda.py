"""The numba.cuda KSG kernel against the sklearn oracle and the numba CPU kernel.

CI has no GPU: the kernel runs in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``),
which must be set before numba.cuda is imported, so one child process computes every
simulated case and this process compares. The simulator runs each CUDA thread as a
Python thread: sizes stay tiny. Real-GPU tests skip without a GPU that numba drives.
"""

from __future__ import annotations

import numpy as np
import pytest

from infomem.errors import InvalidInputError
from infomem.estimators import ksg_mi_pairs
from infomem.estimators._validation import _numba_gpu
from infomem.estimators.ksg import _psi_table, _reference_counts, ksg_mi_reference

from .test_ksg import _dataset
from support.subproc import run_python

# (kind, S, k, neuron columns of `_dataset`): S in {k+1, 50, 200}, ties, duplicates
# (the "ties" rows repeat), constant neurons (columns 1 and 4 of "constant")
CASES = (
    [(kind, k + 1, k, [0, 1, 2, 4]) for kind in ("gaussian", "ties", "constant") for k in (1, 2, 3)]
    + [(kind, 50, k, [0, 1, 2, 4]) for kind in ("gaussian", "correlated", "ties", "relu", "constant")
       for k in (1, 2, 3)]
    + [(kind, 200, 3, [0, 1, 3, 4]) for kind in ("correlated", "ties", "relu", "constant")]
    + [("ties", 200, 1, [0, 2, 4, 5]), ("correlated", 50, 5, [0, 1, 2, 4])]
)
MATRIX = ("correlated", 40, 3)  # ksg_mi in blocks of 4 pairs, 3 pairs per launch

_CHILD = """
import sys
import numpy as np
sys.setswitchinterval(1e-5)  # the simulator's threads hand the GIL over at barriers
from infomem.estimators import _ksg_cuda as kc
from infomem.estimators import ksg_mi, ksg_mi_pairs
from infomem.estimators._validation import resolve_backend
from infomem.estimators.ksg import _psi_table

assert kc.simulated() and not kc.gpu_available()
data = dict(np.load(IN))
out = {"auto_on_cuda": np.array(resolve_backend("auto", "cuda"))}
for i in range(int(data["n_cases"])):
    a, k = data[f"case{i}"], int(data[f"k{i}"])
    rows, cols = np.triu_indices(a.shape[1])
    pairs = kc.CudaPairs(np.ascontiguousarray(a.T), k, "cuda:0", _psi_table(a.shape[0]))
    out[f"mi{i}"], out[f"counts{i}"] = pairs.counts(rows, cols)
    out[f"public{i}"] = ksg_mi_pairs(a, rows[::-1], cols[::-1], k=k, backend="cuda")[::-1]
a = data["matrix"]
for threads in (1, 2, 32):  # the per-thread sums and the tree change, not the counts
    pairs = kc.CudaPairs(np.ascontiguousarray(a.T), 3, None, _psi_table(a.shape[0]), threads)
    out[f"threads{threads}"] = pairs.pairs(*np.triu_indices(a.shape[1]))
kc.SCRATCH_BYTES = 3 * 12 * a.shape[0]  # 3 pairs per launch
out["matrix"] = ksg_mi(a, k=3, backend="cuda", block_pairs=4)
np.savez(OUT, **out)
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """(inputs, outputs) of one simulator run over every case."""
    folder = tmp_path_factory.mktemp("cudasim")
    inputs = {"matrix": _dataset(MATRIX[0], MATRIX[1], seed=2), "n_cases": np.array(len(CASES))}
    for i, (kind, s, k, columns) in enumerate(CASES):
        inputs[f"case{i}"] = np.ascontiguousarray(_dataset(kind, s, seed=s + k)[:, columns])
        inputs[f"k{i}"] = np.array(k)
    np.savez(folder / "in.npz", **inputs)
    paths = f"IN, OUT = {str(folder / 'in.npz')!r}, {str(folder / 'out.npz')!r}\n"
    run_python(paths + _CHILD, {"NUMBA_ENABLE_CUDASIM": "1"}, timeout=300)
    return inputs, dict(np.load(folder / "out.npz"))


def _close(got, ref):
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def _case_id(case) -> str:
    kind, s, k, _ = case
    return f"{kind}-S{s}-k{k}"


@pytest.mark.parametrize("i", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_simulated_kernel_equals_reference_and_numba(sim, i):
    """Identical n_x, n_y for every point, values to 1e-9 relative, on each pair i <= j."""
    inputs, out = sim
    a, k = inputs[f"case{i}"], int(inputs[f"k{i}"])
    rows, cols = np.triu_indices(a.shape[1])
    for p, (r, c) in enumerate(zip(rows, cols, strict=True)):
        nx, ny = _reference_counts(a[:, r], a[:, c], k)
        np.testing.assert_array_equal(out[f"counts{i}"][p], np.stack([nx, ny]) + 1)
    ref = np.array([ksg_mi_reference(a[:, r], a[:, c], k=k) for r, c in zip(rows, cols, strict=True)])
    _close(out[f"mi{i}"], ref)
    _close(out[f"public{i}"], ref)
    _close(out[f"public{i}"], ksg_mi_pairs(a, rows, cols, k=k, backend="numba"))


def test_simulated_matrix_blocks_launches_and_threads(sim):
    """ksg_mi over blocks of pairs and several launches per block; any threads per block."""
    inputs, out = sim
    a = inputs["matrix"]
    m = out["matrix"]
    np.testing.assert_array_equal(m, m.T)
    rows, cols = np.triu_indices(a.shape[1])
    ref = np.array([ksg_mi_reference(a[:, r], a[:, c], k=3) for r, c in zip(rows, cols, strict=True)])
    _close(m[rows, cols], ref)
    for threads in (1, 2, 32):
        _close(out[f"threads{threads}"], ref)


def test_simulator_is_not_a_gpu_for_auto(sim):
    """backend="auto" on a CUDA device never picks the (slow) simulator."""
    assert str(sim[1]["auto_on_cuda"]) == "torch"


def test_resolve_backend_auto(monkeypatch):
    from infomem.estimators import _validation as v

    monkeypatch.setattr(v, "_numba_gpu", lambda: True)
    assert v.resolve_backend("auto", "cuda:1") == "cuda"
    assert v.resolve_backend("auto", None) == "numba"
    assert v.resolve_backend("auto", "cuda", v.BINNED_BACKENDS) == "torch"
    monkeypatch.setattr(v, "_numba_gpu", lambda: False)
    assert v.resolve_backend("auto", "cuda") == "torch"
    assert v.resolve_backend("cuda", None) == "cuda"


def test_cuda_backend_without_a_gpu_is_a_one_line_error():
    from infomem.estimators import _ksg_cuda as kc

    if kc.gpu_available() or kc.simulated():
        pytest.skip("numba.cuda has a GPU (or the simulator) here")
    a = _dataset("gaussian", 20)
    for device, match in ((None, "needs a CUDA GPU"), ("cpu", "runs on a CUDA device")):
        with pytest.raises(InvalidInputError, match=match) as info:
            ksg_mi_pairs(a, [0], [1], backend="cuda", device=device)
        assert "\n" not in str(info.value)


@pytest.mark.gpu
def test_gpu_kernel_equals_reference_s2500():
    if not _numba_gpu():
        pytest.skip("needs a CUDA GPU driven by numba-cuda")
    from infomem.estimators import _ksg_cuda as kc
    from infomem.estimators import ksg_mi

    a = _dataset("ties", 2500, seed=7)
    _, counts = kc.CudaPairs(np.ascontiguousarray(a.T), 3, None, _psi_table(2500)).counts(
        np.array([0, 2]), np.array([1, 4]))
    for p, (r, c) in enumerate([(0, 1), (2, 4)]):
        np.testing.assert_array_equal(counts[p], np.stack(_reference_counts(a[:, r], a[:, c], 3)) + 1)
    for kind in ("correlated", "ties", "relu", "constant"):
        a = _dataset(kind, 2500, seed=7)
        rows, cols = np.array([0, 0, 2, 4, 1, 3]), np.array([1, 5, 3, 5, 1, 4])
        ref = np.array([ksg_mi_reference(a[:, r], a[:, c], k=3) for r, c in zip(rows, cols, strict=True)])
        _close(ksg_mi_pairs(a, rows, cols, k=3, backend="cuda"), ref)
    a = _dataset("ties", 300, seed=1)
    _close(ksg_mi(a, k=3, device="cuda"), ksg_mi(a, k=3, backend="numba"))


KERNEL_SIGNATURE = (  # ksg_block's arguments as CudaPairs passes them
    "void(float64[:, ::1], int32[:, ::1], int32[:, ::1], int32[::1], int32[::1], float64[::1], "
    "float64[:, ::1], int32[:, ::1], float64[:, ::1], float64[::1], boolean, int32[:, :, ::1])"
)


def test_kernels_compile_for_a_gpu_without_one(monkeypatch):
    """Type and compile the kernels to sm_90 PTX with NVVM, no GPU needed: what the
    simulator, which runs the Python source, cannot check."""
    from types import SimpleNamespace

    from numba import cuda

    from infomem.estimators import _ksg_cuda as kc

    if kc.simulated():
        pytest.skip("numba.cuda is the simulator here")
    from numba.cuda import dispatcher
    from numba.cuda.cudadrv import nvvm

    if not nvvm.is_available():
        pytest.skip("needs NVVM (numba-cuda[cu12], the [gpu] extra, or a CUDA toolkit)")
    if not kc.gpu_available():  # device functions compile for the current device
        monkeypatch.setattr(dispatcher, "get_current_device",
                            lambda: SimpleNamespace(compute_capability=(9, 0)))
    for k in (1, 3, 5):
        ptx, _ = cuda.compile_ptx(kc._kernels(k, kc.THREADS).py_func, KERNEL_SIGNATURE, cc=(9, 0))
        assert ".target sm_90" in ptx and ".local" not in ptx  # the k best stay in registers
