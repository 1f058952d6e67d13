"""Torch kernel for the binned MI matrix: joint histograms as one-hot matrix products.

Each neuron's codes are renumbered 0..D-1 (D = the most distinct codes of any neuron)
and one-hot encoded, so for two blocks of neurons every joint histogram is one block of
``onehot_I.T @ onehot_J``. The products run in float32: 0/1 inputs are exact (also under
TF32) and integer sums stay exact below 2**24 examples, so the counts equal the numba
kernel's. ``c ln c`` and the sums are taken in float64. Meant for CUDA, where the
O(N^2 D^2 S) products run on the matrix units; on the CPU the numba kernel is far faster.
"""

from __future__ import annotations

import numpy as np
import torch

_BUDGET_CPU = 1 << 24  # elements of one block of joint counts on the CPU
_BUDGET_CUDA = 1 << 26  # and on a CUDA device (float64 counts: 512 MiB)
MAX_EXACT_EXAMPLES = 1 << 24  # float32 holds every integer count below this (checked by `binned`)


@torch.no_grad()
def joint_clogc(dense: np.ndarray, depth: int, device: torch.device) -> np.ndarray:
    """(N, N) matrix of sum c ln c over each pair's joint histogram.

    dense: (S, N) codes renumbered per column into 0..depth-1, S < MAX_EXACT_EXAMPLES;
    device: an existing torch device (inputs validated by the caller).
    """
    s, n = dense.shape
    budget = _BUDGET_CUDA if device.type == "cuda" else _BUDGET_CPU
    block = max(1, min(n, int((budget ** 0.5) // depth)))
    codes = torch.as_tensor(dense.astype(np.int64), device=device)

    def onehot(a: int, b: int) -> torch.Tensor:
        """(S, (b - a) * depth) one-hot codes of neurons a..b-1."""
        offsets = torch.arange(b - a, device=device) * depth
        m = torch.zeros(s, (b - a) * depth, dtype=torch.float32, device=device)
        return m.scatter_(1, codes[:, a:b] + offsets, 1.0)

    out = np.empty((n, n), dtype=np.float64)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        left_t = onehot(i0, i1).T
        for j0 in range(i0, n, block):
            j1 = min(n, j0 + block)
            counts = (left_t @ onehot(j0, j1)).double()
            clogc = torch.special.xlogy(counts, counts)  # 0 ln 0 = 0
            sums = clogc.view(i1 - i0, depth, j1 - j0, depth).sum(dim=(1, 3)).cpu().numpy()
            if i0 == j0:  # keep the upper triangle so the matrix is exactly symmetric
                sums = np.triu(sums) + np.triu(sums, 1).T
            out[i0:i1, j0:j1] = sums
            out[j0:j1, i0:i1] = sums.T
    return out
