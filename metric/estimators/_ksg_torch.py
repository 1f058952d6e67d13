"""Torch KSG kernel: batched over pairs, on the CPU or a CUDA device.

Brute force per pair, in float64 so every distance and comparison is the one the
reference makes: for a batch of pairs and a chunk of query points, the |x_j - x_i|
and |y_j - y_i| matrices, their maximum (self set to +inf), the k-th smallest of each
row (``topk``), ``r = nextafter(eps, 0)`` and the counts ``|x_j - x_i| <= r``.
O(S^2) work per pair, in memory-bounded chunks. Imported lazily (torch is heavy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_BUDGET_CPU = 1 << 22  # elements per (pairs x queries x S) temporary on the CPU
_BUDGET_CUDA = 1 << 26  # and on a CUDA device


def neuron_rows(data: Any, neurons: np.ndarray, device: torch.device) -> torch.Tensor:
    """(n, S) float64 tensor on ``device``: the columns ``neurons`` of the validated
    activations ``data`` (a numpy array, or a tensor on its GPU)."""
    if isinstance(data, torch.Tensor):
        t = data.to(device=device, dtype=torch.float64)
        if neurons.size != t.shape[1]:  # neurons are sorted and unique: all of them or a subset
            t = t[:, torch.as_tensor(neurons, device=t.device)]
        return t.T.contiguous()
    sub = data if neurons.size == data.shape[1] else data[:, neurons]
    return torch.from_numpy(np.ascontiguousarray(sub.T, dtype=np.float64)).to(device)


class TorchPairs:
    """Prepared neurons on the device; computes MI for blocks of pairs of them.

    x: (n, S) float64 tensor (`neuron_rows`); psi: digamma(m) for m = 0..S; inputs
    validated by the caller (`ksg`).
    """

    def __init__(self, x: torch.Tensor, k: int, psi: np.ndarray):
        from scipy.special import digamma

        self.x = x
        s = x.shape[1]
        self.k = k
        self.psi = torch.from_numpy(psi).to(x.device)
        on_cuda = x.device.type == "cuda"
        self.budget = _BUDGET_CUDA if on_cuda else _BUDGET_CPU
        self.const = float(digamma(s)) + float(digamma(k))

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        s = self.x.shape[1]
        out = np.empty(rows.size, dtype=np.float64)
        batch = max(1, min(rows.size, self.budget // (s * s)))
        for start in range(0, rows.size, batch):
            r = torch.as_tensor(rows[start : start + batch], device=self.x.device)
            c = torch.as_tensor(cols[start : start + batch], device=self.x.device)
            sx, sy = (t.cpu().numpy() for t in self._psi_sums(self.x[r], self.x[c]))
            out[start : start + batch] = self.const - sx / s - sy / s
        return out

    @torch.no_grad()
    def _psi_sums(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """sum_i psi(n_x(i) + 1) and sum_i psi(n_y(i) + 1) for each pair of rows (B, S)."""
        b, s = x.shape
        rows = max(1, min(s, self.budget // (b * s)))
        sum_x = torch.zeros(b, dtype=torch.float64, device=x.device)
        sum_y = torch.zeros(b, dtype=torch.float64, device=x.device)
        for i0 in range(0, s, rows):
            i1 = min(s, i0 + rows)
            dx = (x[:, i0:i1, None] - x[:, None, :]).abs_()
            dy = (y[:, i0:i1, None] - y[:, None, :]).abs_()
            d = torch.maximum(dx, dy)
            q = torch.arange(i1 - i0, device=x.device)
            d[:, q, q + i0] = torch.inf  # the point itself is not a neighbour
            eps = d.topk(self.k, dim=-1, largest=False).values[..., -1]
            del d
            r = torch.nextafter(eps, torch.zeros_like(eps))[..., None]
            nx = (dx <= r).sum(dim=-1)  # includes the point itself: n_x + 1
            ny = (dy <= r).sum(dim=-1)
            sum_x += self.psi[nx].sum(dim=-1)
            sum_y += self.psi[ny].sum(dim=-1)
        return sum_x, sum_y

