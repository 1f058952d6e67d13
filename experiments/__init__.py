"""Reproduction experiments for infomem (see experiments/results/)."""
