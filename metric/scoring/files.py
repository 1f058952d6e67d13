"""infomem's JSON result files: one description per kind, and the reading and writing
they share (:class:`Result`, :class:`UnitMemReport`, :class:`ExtractionResult`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from infomem.errors import ResultFormatError

__all__ = ["FileFormat", "JsonFile", "dump_json", "read_json", "jsonable"]

T = TypeVar("T", bound="JsonFile")


def jsonable(value: Any) -> Any:
    """Plain JSON types; non-finite floats become None (JSON has no NaN)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def dump_json(data: dict[str, Any], path: str | Path | None = None, *, indent: int = 2) -> str:
    """JSON text of ``data`` (non-finite floats as null); also written to ``path`` if given."""
    text = json.dumps(jsonable(data), indent=indent, allow_nan=False)
    if path is not None:
        Path(path).write_text(text + "\n", encoding="utf-8")
    return text


def read_json(path: str | Path, *, what: str, command: str) -> tuple[Any, str]:
    """(parsed JSON, how to name the file in errors), or a one-line ResultFormatError."""
    source = f"{what} {str(path)!r}"
    try:
        return json.loads(Path(path).read_text(encoding="utf-8")), source
    except FileNotFoundError as e:
        raise ResultFormatError(f"{source} does not exist.") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultFormatError(
            f"{source} is not JSON ({e}); pass a file written by `{command}`.") from e


@dataclass(frozen=True)
class FileFormat:
    """One kind of infomem JSON file: its format tag and version, and who writes it."""

    name: str  # the "format" field, e.g. "infomem-result"
    version: int  # the "format_version" this infomem reads and writes
    what: str  # how errors name it, e.g. "result"
    command: str  # the command that writes it, e.g. "infomem score --out"
    writer: str  # the Python writer, e.g. "Result.to_json"

    def header(self) -> dict[str, Any]:
        return {"format": self.name, "format_version": self.version}

    def check(self, data: Any, source: str) -> None:
        """One-line ResultFormatError unless ``data`` is this kind of file, this version."""
        if not isinstance(data, dict) or data.get("format") != self.name:
            raise ResultFormatError(
                f"{source} is not an infomem {self.what} (no `\"format\": \"{self.name}\"` "
                f"field); pass a file written by `{self.command}` or `{self.writer}`.")
        if data.get("format_version") != self.version:
            raise ResultFormatError(
                f"{source} has {self.what} format version {data.get('format_version')!r}; this "
                f"infomem reads version {self.version}. Re-run `{self.command.split(' --')[0]}` "
                "with this version.")

    def damaged(self, source: str, error: Exception) -> ResultFormatError:
        """The one-line error for a file of this kind whose fields do not read."""
        if isinstance(error, KeyError):
            return ResultFormatError(
                f"{source} is a damaged infomem {self.what}: the field {error.args[0]!r} is "
                f"missing; re-create it with `{self.command}`.")
        return ResultFormatError(f"{source} is a damaged infomem {self.what}: {error}")


class JsonFile:
    """``to_json`` / ``from_dict`` / ``from_json`` for a type that declares its ``FILE``
    and builds itself from checked data in ``_from_fields``."""

    FILE: ClassVar[FileFormat]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """JSON text (non-finite numbers become null); also written to ``path`` if given."""
        return dump_json(self.to_dict(), path, indent=indent)

    @classmethod
    def _from_fields(cls: type[T], data: dict[str, Any], source: str) -> T:
        raise NotImplementedError

    @classmethod
    def from_dict(cls: type[T], data: Any, *, source: str = "the input") -> T:
        cls.FILE.check(data, source)
        try:
            return cls._from_fields(data, source)
        except ResultFormatError:  # a nested file's own one-line error
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise cls.FILE.damaged(source, e) from e

    @classmethod
    def from_json(cls: type[T], path: str | Path) -> T:
        data, source = read_json(path, what=cls.FILE.what, command=cls.FILE.command)
        return cls.from_dict(data, source=source)
