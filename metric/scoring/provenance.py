"""What every result records about the code that made it: library versions."""

from __future__ import annotations

from importlib import metadata

__all__ = ["library_versions"]

_VERSIONED = ("torch", "transformers", "numpy", "scipy", "numba", "accelerate", "datasets")


def library_versions() -> dict[str, str]:
    """Versions of infomem (its own attribute: a vendored copy has no package metadata)
    and of the libraries the numbers depend on."""
    from infomem import __version__

    out = {"infomem": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
