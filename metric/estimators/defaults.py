"""The paper's estimator defaults, written once (Bansal, Pruthi & Belinkov 2022)."""

from __future__ import annotations

__all__ = ["DEFAULT_K", "DEFAULT_BINS"]

DEFAULT_K = 3  # KSG neighbours, as the paper (and scikit-learn's mutual_info_*)
DEFAULT_BINS = 100  # equal-width bins for entropy, as the paper's code
