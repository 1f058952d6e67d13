"""Unlabeled inputs: a datasets id, a local file or dataset directory, in-memory lists,
or the bundled default text sample; subsampled to `max_samples` with a fixed seed."""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from infomem.errors import DataError, InvalidInputError
from infomem.options import default, option

__all__ = ["Inputs", "load_inputs", "default_texts", "check_texts", "fingerprint", "SMALL_SAMPLE_WARNING"]

SMALL_SAMPLE_WARNING = 200  # fewer examples than this: entropy is strongly biased (diagnostics)
_ENCODING_HINT = "Pass its encoding with `encoding=` / `--encoding` (e.g. latin-1)."
_TEXT_COLUMNS = ("text", "sentence", "content", "review", "document", "prompt")
_IMAGE_COLUMNS = ("image", "img", "pixel_values")


@dataclass(frozen=True)
class _Table:
    """How a local table file is read: datasets' loader, its options, and the layout to
    write, said when the file cannot be read."""

    builder: str
    layout: str
    options: dict[str, str] = field(default_factory=dict)
    encoded: bool = True  # text to decode (csv, json), so `encoding` applies


_TABLES = {
    ".csv": _Table("csv", "Write a header row, then one row per example."),
    ".tsv": _Table("csv", "Write a header row, then one tab-separated row per example.",
                   {"delimiter": "\t"}),
    ".json": _Table("json", 'Write a list of records ([{"text": ...}, ...]), an object of '
                    'equal-length columns ({"text": [...]}) or a list of strings.'),
    ".jsonl": _Table("json", "Write one JSON object per line."),
    ".parquet": _Table("parquet", "Write it with pandas or pyarrow (to_parquet).", encoded=False),
}


@dataclass(frozen=True)
class Inputs:
    """The examples to score and where they came from."""

    items: list[Any]  # strings or PIL images
    info: dict[str, Any] = field(default_factory=dict)  # kind, dataset, split, column...


def default_texts() -> list[str]:
    """The bundled unlabeled text sample (one text per line)."""
    text = resources.files("infomem").joinpath("resources/default_texts.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def check_texts(texts: Any, *, name: str = "predictions") -> list[str]:
    """A non-empty list of strings, or a one-line error naming the first bad entry."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise InvalidInputError(
            f"`{name}` must be a list of strings; received {type(texts).__name__}."
        )
    if len(texts) == 0:
        raise InvalidInputError(f"`{name}` is empty: pass at least one text.")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InvalidInputError(
                f"`{name}[{i}]` is {type(t).__name__}, not a string: pass the texts themselves."
            )
    return list(texts)


def fingerprint(items: Sequence[Any]) -> str:
    digest = hashlib.sha256()
    for item in items:
        if isinstance(item, str):
            digest.update(item.encode("utf-8"))
        else:
            digest.update(np.asarray(item).tobytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def subsample(n: int, max_samples: int, seed: int) -> np.ndarray:
    """Indices to keep: all of them, or `max_samples` drawn without replacement, in order."""
    if max_samples < 1:
        raise InvalidInputError(f"`max_samples` must be >= 1; received {max_samples}.")
    if n <= max_samples:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_samples, replace=False))


def _pick_column(columns: Sequence[str], column: str | None, where: str) -> str:
    if column is not None:
        if column not in columns:
            raise DataError(
                f"Column {column!r} is not in {where}; its columns are: {', '.join(columns)}. "
                "Pass one of them with `column=` / `--column`."
            )
        return column
    for candidate in (*_TEXT_COLUMNS, *_IMAGE_COLUMNS):
        if candidate in columns:
            return candidate
    if len(columns) == 1:
        return columns[0]
    raise DataError(
        f"Cannot tell which column of {where} holds the inputs; its columns are: "
        f"{', '.join(columns)}. Pass one with `column=` / `--column`."
    )


def _load_dataset(
    dataset: str, config: str | None, split: str | None, revision: str | None, streaming: bool
) -> tuple[Any, str]:
    import datasets

    path = Path(dataset)
    if path.is_file():
        if path.suffix.lower() not in _TABLES:
            raise DataError(f"{dataset!r} is a file, not a dataset; pass it with `file=` / "
                            "`--file` (read as text, one example per line).")
        return _load_table_file(path), _single_split(dataset, split, "train")
    try:
        if path.is_dir() and ((path / "state.json").exists() or (path / "dataset_dict.json").exists()):
            loaded = datasets.load_from_disk(str(path))
        else:
            loaded = datasets.load_dataset(dataset, config, revision=revision, streaming=streaming)
    except (FileNotFoundError, ConnectionError) as e:
        raise DataError(
            f"Dataset {dataset!r} was not found locally or on the Hub ({_first_line(e)}); "
            "check the id, or pass a local file with `--file`."
        ) from e
    except ValueError as e:
        raise DataError(f"Cannot load dataset {dataset!r}: {_first_line(e)}") from e
    if isinstance(loaded, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        splits = list(loaded)
        preferred = [s for s in ("validation", "test") if s in splits]
        chosen = split or (preferred[0] if preferred else splits[0])
        if chosen not in loaded:
            raise DataError(
                f"Split {chosen!r} is not in dataset {dataset!r}; its splits are: "
                f"{', '.join(splits)}. Pass one with `split=` / `--split`."
            )
        return loaded[chosen], chosen
    return loaded, _single_split(dataset, split, str(loaded.split) if loaded.split else "train")


def _single_split(dataset: str, split: str | None, own: str) -> str:
    """The one split a saved Dataset or table file holds; `split` must name it or be None."""
    if split not in (None, own):
        raise DataError(f"{dataset!r} holds one split ({own!r}), not {split!r}; drop `split=` / "
                        "`--split`, or pass a dataset with that split.")
    return own


def _load_table_file(path: Path, encoding: str = default("encoding")) -> Any:
    """A local .csv/.tsv/.json/.jsonl/.parquet table as a Dataset, or a one-line DataError
    naming the file and what is wrong with it (empty, no rows, not parseable)."""
    import datasets
    from datasets.exceptions import DatasetGenerationError

    suffix = path.suffix.lower()
    table = _TABLES[suffix]
    if table.encoded:
        _check_encoding(encoding)
    what = f"Input file {path.name!r}"
    if path.stat().st_size == 0:
        raise DataError(f"{what} is empty: nothing to score.")
    no_rows = f"{what} holds no rows: nothing to score. {table.layout}"
    log = logging.getLogger("datasets")  # it logs the parse error we raise in one line
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        encoded = {"encoding": encoding} if table.encoded else {}
        loaded = datasets.load_dataset(table.builder, data_files=str(path), split="train",
                                       **table.options, **encoded)
    except (DatasetGenerationError, ValueError) as e:  # a parser's error is the cause
        if "corresponds to no data" in str(e):  # datasets' words for a table without rows
            raise DataError(no_rows) from e
        cause = e.__cause__ or e
        fix = (_ENCODING_HINT if isinstance(cause, UnicodeDecodeError) else table.layout)
        raise DataError(f"{what} cannot be read as a {suffix[1:]} table: {_first_line(cause)}. "
                        f"{fix}") from e
    finally:
        log.setLevel(level)
    if loaded.num_rows == 0:
        raise DataError(no_rows)
    return _json_columns(loaded) if suffix == ".json" else loaded


def _json_columns(ds: Any) -> Any:
    """A .json file holding one object of equal-length lists ({"text": [...], ...}), which
    datasets reads as a single row, as the table of columns it is."""
    import datasets

    if ds.num_rows != 1:
        return ds
    row = ds[0]
    lengths = {len(v) if isinstance(v, list) else None for v in row.values()}
    if len(lengths) != 1 or None in lengths:
        return ds
    return datasets.Dataset.from_dict(row)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _from_dataset(
    ds: Any, column: str | None, where: str, max_samples: int, seed: int
) -> tuple[list[Any], str, int | None]:
    import datasets

    columns = list(ds.column_names or [])
    chosen = _pick_column(columns, column, where)
    if isinstance(ds, datasets.IterableDataset):
        rows = (row[chosen] for row in ds)
        items = [v for v in rows if not _empty(v)][:max_samples]  # takes the first usable rows
        return items, chosen, None
    feature = (ds.features or {}).get(chosen)
    if getattr(feature, "dtype", None) not in ("string", "large_string"):  # images: decode few
        keep = subsample(len(ds), max_samples, seed)
        return list(ds.select(keep)[chosen]), chosen, len(ds)
    values = ds[chosen]
    usable = [i for i, v in enumerate(values) if not _empty(v)]
    if len(usable) < len(values):
        warnings.warn(f"Skipped {len(values) - len(usable)} empty or missing cell(s) in column "
                      f"{chosen!r} of {where}.", stacklevel=4)
    keep = subsample(len(usable), max_samples, seed)
    return [values[usable[i]] for i in keep], chosen, len(usable)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def load_inputs(
    inputs: Any = None,
    *,
    dataset: str | None = None,
    config: str | None = None,
    split: str | None = None,
    column: str | None = None,
    data_revision: str | None = None,
    file: str | Path | None = None,
    streaming: bool = False,
    encoding: str = default("encoding"),
    max_samples: int = default("max_samples"),
    seed: int = default("seed"),
) -> Inputs:
    """Gather and subsample the unlabeled inputs; record where they came from."""
    subsample(0, max_samples, seed)  # validates max_samples before any I/O
    sources = [x is not None for x in (inputs, dataset, file)]
    if sum(sources) > 1:
        raise InvalidInputError("Pass only one of `inputs`, `dataset` or `file`.")
    given = {"config": config, "split": split, "data_revision": data_revision,
             "streaming": streaming, "encoding": encoding, "column": column}
    info: dict[str, Any]
    n: int | None  # examples available before subsampling (None: a stream)
    if file is not None:
        path = Path(file)
        if not path.exists():
            raise DataError(f"Input file {str(path)!r} does not exist.")
        if path.is_dir():
            raise DataError(f"Input file {str(path)!r} is a directory; pass a file, or a saved "
                            "dataset directory with `dataset=` / `--dataset`.")
        table = _TABLES.get(path.suffix.lower())
        if table is None:  # any other file: text, one per line
            _refuse_unused(given, {"encoding"}, f"the text file {path.name!r} (one example per "
                           "line; `column` applies to .csv, .tsv, .json, .jsonl and .parquet tables)")
            lines = [x for x in read_text(path, encoding).splitlines() if x.strip()]
            items, n = _take(lines, max_samples, seed)
            info = {"kind": "file", "path": path.name, "column": None}
        else:
            _refuse_unused(given, {"column", "encoding"} if table.encoded else {"column"},
                           f"the table file {path.name!r}")
            ds = _load_table_file(path, encoding)
            items, col, n = _from_dataset(ds, column, f"file {path.name!r}", max_samples, seed)
            info = {"kind": "file", "path": path.name, "column": col}
    elif dataset is not None:
        saved = Path(dataset).exists()  # a saved dataset directory or a table file
        _refuse_unused(given, {"split", "column"} if saved else set(given) - {"encoding"},
                       f"the local dataset {dataset!r}" if saved else f"the dataset {dataset!r}")
        ds, chosen_split = _load_dataset(dataset, config, split, data_revision, streaming)
        items, col, n = _from_dataset(ds, column, f"dataset {dataset!r}", max_samples, seed)
        info = {"kind": "dataset", "dataset": dataset, "config": config, "split": chosen_split,
                "column": col, "revision": data_revision, "streaming": streaming}
    elif inputs is None:
        _refuse_unused(given, set(), "the bundled text sample (pass `dataset=` or `file=` first)")
        items, n = _take(default_texts(), max_samples, seed)
        info = {"kind": "default", "dataset": "infomem/default_texts"}
    else:
        _refuse_unused(given, {"column"}, "inputs passed in memory")
        items, n, info = _from_memory(inputs, column, max_samples, seed)
    if not items:
        raise DataError("The inputs are empty: nothing to score.")
    info.update(n_available=n, n_used=len(items), fingerprint=fingerprint(items))
    return Inputs(list(items), info)


def _refuse_unused(given: dict[str, Any], used: set[str], source: str) -> None:
    """One line for a data option set that `source` does not read: it would be silently
    ignored, and recorded in the result as if it had applied."""
    unused = [f"`{name}=` / `{option(name).cli_flag}`" for name, value in given.items()
              if name not in used and value not in (None, False, default(name))]
    if unused:
        them = "it" if len(unused) == 1 else "them"
        raise InvalidInputError(f"{', '.join(unused)} do{'es' if them == 'it' else ''} not apply "
                                f"to {source}; drop {them}.")


def _check_encoding(encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError as e:
        raise DataError(f"Unknown encoding {encoding!r}; use e.g. 'utf-8' or 'latin-1'.") from e


def read_text(path: Path, encoding: str) -> str:
    """A text file's contents, or a one-line error naming the file and the first bad byte."""
    _check_encoding(encoding)
    raw = path.read_bytes()
    if b"\0" in raw[:8192]:
        raise DataError(f"Input file {path.name!r} looks binary (it holds NUL bytes); pass a "
                        "text file (one example per line) or a .csv/.json/.parquet table.")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise DataError(
            f"Input file {path.name!r} is not valid {encoding} text: byte 0x{raw[e.start]:02x} at "
            f"offset {e.start}. {_ENCODING_HINT}") from e


def _take(items: Sequence[Any], max_samples: int, seed: int) -> tuple[list[Any], int]:
    keep = subsample(len(items), max_samples, seed)
    return [items[i] for i in keep], len(items)


def _from_memory(
    inputs: Any, column: str | None, max_samples: int, seed: int
) -> tuple[list[Any], int | None, dict[str, Any]]:
    import datasets

    if isinstance(inputs, (datasets.Dataset, datasets.IterableDataset)):
        items, col, n = _from_dataset(inputs, column, "the dataset", max_samples, seed)
        return items, n, {"kind": "dataset-object", "column": col}
    if isinstance(inputs, str) or not isinstance(inputs, Sequence):
        raise InvalidInputError(
            f"`inputs` must be a list of strings or images, or a datasets.Dataset; "
            f"received {type(inputs).__name__}."
        )
    if len(inputs) == 0:
        raise InvalidInputError("`inputs` is empty: pass at least one text or image.")
    if isinstance(inputs[0], str):
        items, n = _take(check_texts(inputs, name="inputs"), max_samples, seed)
        return items, n, {"kind": "texts"}
    items, n = _take(list(inputs), max_samples, seed)
    return items, n, {"kind": "images"}
