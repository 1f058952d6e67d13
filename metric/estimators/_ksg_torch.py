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

from ._validation import (
    check_acts,
    check_device,
    check_int,
    check_pairs,
    is_torch_tensor,
    report_non_finite,
)

_BUDGET_CPU = 1 << 22  # elements per (pairs x queries x S) temporary on the CPU
_BUDGET_CUDA = 1 << 26  # and on a CUDA device


def _as_tensor(acts: Any, device: Any) -> torch.Tensor:
    """Validated (N, S) float64 tensor on ``device`` (default: the input's device)."""
    if is_torch_tensor(acts) and acts.device.type != "cpu":
        from infomem.errors import InvalidInputError

        t = acts.detach()
        if t.ndim != 2:
            raise InvalidInputError(
                f"Activations must be 2-D (examples x neurons); received a {t.ndim}-D "
                f"tensor of shape {tuple(t.shape)}. Reshape to (S, N)."
            )
        if t.is_complex() or t.dtype == torch.bool:
            raise InvalidInputError(
                f"Activations must be real numbers; received dtype {t.dtype}."
            )
        if t.shape[1] == 0 or t.shape[0] == 0:
            raise InvalidInputError(
                f"Activations must have examples and neurons; received shape {tuple(t.shape)}."
            )
        report_non_finite((~torch.isfinite(t)).sum(dim=0).cpu().numpy())
        target = check_device(device) if device is not None else t.device
        return t.to(device=target, dtype=torch.float64).T.contiguous()
    arr = check_acts(acts, min_examples=1)
    target = check_device(device) if device is not None else torch.device("cpu")
    return torch.from_numpy(np.ascontiguousarray(arr.T, dtype=np.float64)).to(target)


def _psi_table(s: int, device: torch.device) -> torch.Tensor:
    from .ksg import _psi_table as table

    return torch.from_numpy(table(s)).to(device)


class TorchPairs:
    """Holds the activations on the device; computes MI for blocks of pairs."""

    def __init__(self, acts: Any, k: int, device: Any = None):
        from .ksg import _check_k

        self.x = _as_tensor(acts, device)  # (N, S)
        self.n_neurons, s = self.x.shape
        self.k = _check_k(k, s, (s, self.n_neurons))
        self.psi = _psi_table(s, self.x.device)
        on_cuda = self.x.device.type == "cuda"
        self.budget = _BUDGET_CUDA if on_cuda else _BUDGET_CPU
        from scipy.special import digamma

        self.const = float(digamma(s)) + float(digamma(self.k))

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


def torch_pairs(acts: Any, rows: Any, cols: Any, k: int, device: Any = None) -> np.ndarray:
    """KSG MI for pairs (rows[p], cols[p]) with the torch kernel."""
    k = check_int(k, "k", 1)
    runner = TorchPairs(acts, k, device)
    r, c = check_pairs(rows, cols, runner.n_neurons)
    return runner.pairs(r, c)
