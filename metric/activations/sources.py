"""Where a model's files are, checked before any is read: a local folder's tokenizer or
processor files, GGUF weights (a .gguf path, or one named in a folder or repo), and the
Hub commit the files came from."""

from __future__ import annotations

from pathlib import Path

from infomem.errors import InvalidInputError, ModelLoadError

__all__ = ["gguf_source", "check_model_path", "check_processor_files", "commit_sha"]


def gguf_source(path: str, gguf_file: str | None) -> tuple[str, str | None]:
    """(folder or repo, GGUF file): a local .gguf path is split into its folder and file,
    and a folder of GGUF weights without a config needs the file named. Checked before
    anything is read, as is the gguf package transformers needs for them."""
    import importlib.util

    local = Path(path)
    if local.suffix == ".gguf" and local.is_file():
        if gguf_file not in (None, local.name):
            raise InvalidInputError(
                f"The model is the GGUF file {path!r} and `gguf_file` names another, "
                f"{gguf_file!r}: give one of them.")
        path, gguf_file = str(local.parent), local.name
    elif gguf_file is None:
        found = sorted(p.name for p in local.glob("*.gguf")) if local.is_dir() else []
        if found and not (local / "config.json").is_file():
            raise InvalidInputError(
                f"Model folder {path!r} holds GGUF weights ({', '.join(found)}) and no "
                f"config.json: pass `gguf_file` (`--gguf-file {found[0]}`), or the file's path.")
        return path, None
    elif Path(gguf_file).suffix != ".gguf":
        raise InvalidInputError(f"`gguf_file` must name a .gguf file; received {gguf_file!r}.")
    elif local.is_dir() and not (local / gguf_file).is_file():
        found = sorted(p.name for p in local.glob("*.gguf"))
        raise InvalidInputError(
            f"Model folder {path!r} has no {gguf_file!r}; its GGUF files: "
            f"{', '.join(found) or 'none'}.")
    if importlib.util.find_spec("gguf") is None:
        raise InvalidInputError("Loading GGUF weights needs the gguf package: `pip install gguf`.")
    return path, gguf_file


def check_model_path(path: str, gguf_file: str | None, model_id: str) -> None:
    """A local model is a folder with a config.json (or GGUF weights); a file is refused
    with what it may have been meant for (texts go to ``file=`` / ``--file``)."""
    local = Path(path)
    if local.is_file():
        raise InvalidInputError(
            f"Model {model_id!r} is a file, not a model: give a Hub id, a folder written by "
            "save_pretrained, or a .gguf file. To score the texts in a file, pass it as "
            "`file=` / `--file`.")
    if local.is_dir() and gguf_file is None and not (local / "config.json").is_file():
        raise InvalidInputError(
            f"Model folder {model_id!r} has no config.json: give a folder written by "
            "save_pretrained (config, weights and tokenizer), or a Hub id.")


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                    "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
_PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json", "image_processor_config.json")


def check_processor_files(folder: Path, kind: str, model_id: str) -> None:
    """A local model folder must hold its tokenizer (or image processor) files."""
    if not folder.is_dir() or any(folder.glob("*.gguf")):
        return
    wanted, what = ((_PROCESSOR_FILES, "image processor") if kind == "vision"
                    else (_TOKENIZER_FILES, "tokenizer"))
    if not any((folder / name).exists() for name in wanted):
        raise ModelLoadError(
            f"Model folder {model_id!r} has no {what} files (none of {', '.join(wanted)}); save "
            f"them beside the weights (`{what.replace(' ', '_')}.save_pretrained(folder)`), or "
            "pass the loaded model with its tokenizer/processor.")


def commit_sha(path: str, revision: str | None, token: str | bool | None,
                filename: str) -> str | None:
    """The Hub commit `filename` came from (None for a local directory)."""
    if Path(path).is_dir():
        return None
    from transformers.utils.hub import cached_file, extract_commit_hash

    try:
        found = cached_file(path, filename, revision=revision, token=token)
    except OSError:
        return None
    return extract_commit_hash(found, None) if found else None
