"""The torch KSG kernel (`_ksg_torch`): the rows it takes from arrays and tensors, and
the values of its pairs. (`test_ksg` runs it through the public functions.)"""

from __future__ import annotations

import numpy as np
import torch

from infomem.estimators._ksg_torch import TorchPairs, neuron_rows
from infomem.estimators.ksg import _psi_table

from .test_ksg import _close, _dataset, _reference_pairs


def test_rows_of_a_tensor_equal_rows_of_an_array_and_give_the_reference():
    """The tensor branch (how a GPU tensor is taken where it lies) on a CPU tensor."""
    a = _dataset("ties", 60, seed=3).astype(np.float32)
    cpu = torch.device("cpu")
    neurons = np.array([1, 2, 5])
    from_tensor = neuron_rows(torch.from_numpy(a), neurons, cpu)
    assert from_tensor.dtype == torch.float64 and from_tensor.shape == (3, 60)
    assert from_tensor.is_contiguous()
    assert torch.equal(from_tensor, neuron_rows(a, neurons, cpu))
    assert torch.equal(neuron_rows(torch.from_numpy(a), np.arange(6), cpu),
                       torch.from_numpy(a.T.astype(np.float64)))
    rows, cols = np.array([0, 0, 1, 2]), np.array([1, 2, 2, 2])
    got = TorchPairs(from_tensor, 3, _psi_table(60)).pairs(rows, cols)
    _close(got, _reference_pairs(a.astype(np.float64), neurons[rows], neurons[cols], 3))
