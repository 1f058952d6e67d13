"""Synthetic infomem Results for tests that need one without running a model."""

from __future__ import annotations

from typing import Any

__all__ = ["result_dict", "make_result"]


def result_dict(
    model_id: str = "alice/tiny-bert",
    *,
    dataset: str | None = "imdb",
    mean_entropy: float = 3.21987654,
    mean_mi: float | None = 0.4123456,
    n_layers: int = 2,
    sha: str | None = "0123456789abcdef0123456789abcdef01234567",
    created_at: str = "2026-01-02T03:04:05+00:00",
    **settings: Any,
) -> dict[str, Any]:
    """A result in infomem's JSON format (format_version 1) with plausible numbers."""
    layers = []
    for i in range(n_layers):
        med = mean_entropy - 0.1 + 0.05 * i
        layers.append({
            "name": f"layer.{i}", "n_neurons": 32, "mean_entropy": mean_entropy + 0.01 * i,
            "median_entropy": med, "q1": med - 0.3, "q3": med + 0.25,
            "notch_low": med - 0.15, "notch_high": med + 0.15,
            "mean_mi": None if mean_mi is None else mean_mi + 0.02 * i,
        })
    data: dict[str, Any]
    if dataset is None:
        data = {"kind": "texts", "n_available": 300, "n_used": 300, "fingerprint": "e06fa54cc5bb049a"}
    else:
        data = {"kind": "dataset", "dataset": dataset, "config": "plain_text", "split": "test",
                "column": "text", "revision": None, "streaming": False, "n_available": 25000,
                "n_used": 300, "fingerprint": "e06fa54cc5bb049a"}
    base_settings: dict[str, Any] = {"max_samples": 300, "mi_neurons_per_layer": 16}
    base_settings.update(settings)
    if mean_mi is None:
        base_settings.setdefault("mi_estimator", "none")
    return {
        "format": "infomem-result", "format_version": 1,
        "mean_entropy": mean_entropy, "median_entropy": mean_entropy - 0.08, "mean_mi": mean_mi,
        "n_samples": 300, "n_neurons": 32 * n_layers, "per_layer": layers,
        "settings": base_settings,
        "model": {"id": model_id, "revision": None, "sha": sha, "architecture": "BertModel",
                  "model_type": "bert", "kind": "text-encoder", "num_parameters": 19882,
                  "dtype": "float32", "device_map": None, "pooling": "first"},
        "data": data,
        "versions": {"infomem": "0.1.0", "torch": "2.13.0", "transformers": "5.23.0"},
        "timings": {"load": 0.9, "capture": 1.1, "entropy": 0.01, "mi": 1.1},
        "created_at": created_at,
    }


def make_result(model_id: str = "alice/tiny-bert", **kwargs: Any) -> Any:
    """An infomem.Result built from :func:`result_dict`."""
    from infomem.scoring.result import Result

    return Result.from_dict(result_dict(model_id, **kwargs))
