"""Pure numerical estimators on activation arrays (S examples x N neurons).

Binned entropy per neuron, KSG and binned mutual information between neurons, in
nats. numba and torch load only when a kernel first runs.
"""

from __future__ import annotations

from .binned import binned_mi, binned_mi_from_codes
from .binning import bin_codes, entropy, entropy_from_codes
from .defaults import DEFAULT_BINS, DEFAULT_K
from .ksg import ksg_mi, ksg_mi_pairs, ksg_mi_reference
from .unitmem import TopUnit, UnitMemResult, UnitMemSummary, summarize_unit_mem, unit_mem

__all__ = [
    "DEFAULT_K",
    "DEFAULT_BINS",
    "bin_codes",
    "entropy_from_codes",
    "entropy",
    "ksg_mi_reference",
    "ksg_mi_pairs",
    "ksg_mi",
    "binned_mi_from_codes",
    "binned_mi",
    "unit_mem",
    "summarize_unit_mem",
    "UnitMemResult",
    "UnitMemSummary",
    "TopUnit",
]
