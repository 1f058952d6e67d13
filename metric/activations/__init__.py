"""Activations: load a model and its unlabeled inputs, run it, keep one pooled value per
neuron per example (hooks, models, inputs, UnitMem's post-activation views, decoding)."""
