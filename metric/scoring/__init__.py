"""Scoring: activations and settings in, results out (scores, Result, Settings, selection,
diagnostics, intervals, distributed MI, UnitMem and extraction results)."""
