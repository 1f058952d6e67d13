"""One error family for infomem: what was wrong, what arrived, what to do.

Boundaries (CLI, evaluate metric, Space) print ``str(error)`` as one clean line.
"""

from __future__ import annotations

__all__ = [
    "InfomemError",
    "InvalidInputError",
    "DataError",
    "ModelLoadError",
    "ResultFormatError",
    "IncompatibleResultsError",
    "HubError",
]


class InfomemError(Exception):
    """Base class of every error infomem raises on purpose."""


class InvalidInputError(InfomemError, ValueError):
    """An argument or input has a wrong value, type or shape."""


class DataError(InvalidInputError):
    """The unlabeled inputs cannot be read: missing column, split, file..."""


class ModelLoadError(InfomemError, OSError):
    """The model (or its tokenizer / processor) cannot be loaded."""


class ResultFormatError(InvalidInputError):
    """A result file is not an infomem result, or of an unsupported version."""


class IncompatibleResultsError(InfomemError, ValueError):
    """Results computed with different settings cannot be compared."""


class HubError(InfomemError, RuntimeError):
    """A Hugging Face Hub call failed (auth, permissions, missing repo, network)."""
