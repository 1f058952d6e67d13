"""The catalogue: every user-settable option, declared once.

Each :class:`Option` says its name, default, type and rule (checked with one message
shape), help text, CLI flag, group, whether it changes the scores (and so enters the
"comparable" key) and where it is reachable. :class:`infomem.Settings` takes its fields'
defaults and validation from here; the CLI's argument groups, the evaluate metric's
keywords, :func:`infomem.score`'s keywords and the Space's controls read it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infomem.errors import InvalidInputError
from infomem.estimators import DEFAULT_BINS, DEFAULT_K

__all__ = ["Option", "OPTIONS", "GROUPS", "option", "default", "in_group", "split_options",
           "check_options", "settings_conflict"]

# Group key -> the heading users read (CLI argument groups, docs).
GROUPS = {
    "settings": "estimator settings (defaults reproduce the paper)",
    "loading": "model loading",
    "inputs": "inputs (default: the bundled text sample)",
    "run": "run and output",
    "extraction": "extraction (causal language models)",
    "unitmem": "UnitMem (units that fire for one example; with --measures unitmem)",
}


@dataclass(frozen=True)
class Option:
    """One user-settable option and everything the boundaries need to expose it."""

    name: str  # Python keyword, e.g. "max_samples"
    default: Any
    help: str  # one line; the CLI appends the default
    group: str  # a key of GROUPS
    # "int" | "fraction" | "bool" | "str" | "choice" | "several" | "names" | "mapping" | "any"
    kind: str = "str"
    minimum: int | None = None  # for "int"
    choices: tuple[Any, ...] = ()  # for "choice" and "several"
    hint: str = ""  # appended to the error message: what to do
    scores: bool = False  # changes the numbers: enters the comparable key
    none_is_all: bool = False  # None = every one (CLI: 0)
    zero_is_off: bool = False  # for "int": 0 switches it off, else at least `minimum`
    one_included: bool = False  # for "fraction": 1 itself is allowed
    optional: bool = False  # None is a valid value
    flag: str | None = ""  # CLI flag; "" = derived from the name, None = no flag
    metric: bool = True  # an evaluate `compute` keyword
    metric_load: bool = False  # also an `evaluate.load(..., name=...)` keyword
    space: bool = False  # the Space has a control for it
    not_everywhere: str = ""  # why it is missing from the CLI, metric or Python API
    metavar: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # other argparse keywords
    command: str = "score"  # the CLI command whose --help shows it

    @property
    def cli_flag(self) -> str | None:
        if self.flag is None:
            return None
        return self.flag or "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """The value, normalised (names -> tuple), or a one-line InvalidInputError."""
        if value is None and (self.optional or self.none_is_all or self.default is None):
            return None
        if self.kind == "int":
            low = self.minimum if self.minimum is not None else 0
            off = self.zero_is_off and value == 0
            if isinstance(value, bool) or not isinstance(value, int) or (value < low and not off):
                rule = f"0 (off) or an integer >= {low}" if self.zero_is_off else f"an integer >= {low}"
                raise InvalidInputError(
                    f"`{self.name}` must be {rule}; received {value!r}.{self._hint}")
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise InvalidInputError(
                    f"`{self.name}` must be True or False; received {value!r}.{self._hint}")
        elif self.kind == "choice":
            if value not in self.choices:
                shown = ", ".join(repr(c) for c in self.choices)
                raise InvalidInputError(
                    f"`{self.name}` must be one of {shown}; received {value!r}.{self._hint}")
        elif self.kind == "fraction":
            top = "at most 1" if self.one_included else "below 1"
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not (0 < value < 1 or (self.one_included and value == 1)):
                raise InvalidInputError(
                    f"`{self.name}` must be a number above 0 and {top}; received "
                    f"{value!r}.{self._hint}")
            return float(value)
        elif self.kind == "several":  # one or more of the choices, each once, in order
            picked = tuple(value) if isinstance(value, (list, tuple)) else (value,)
            if not picked or any(v not in self.choices for v in picked):
                shown = ", ".join(repr(c) for c in self.choices)
                raise InvalidInputError(
                    f"`{self.name}` must be one or more of {shown}; received {value!r}.{self._hint}")
            return tuple(dict.fromkeys(picked))
        elif self.kind == "names":
            one = isinstance(value, (str, int)) and not isinstance(value, bool)  # "x" or 3
            if not one and (isinstance(value, (bool, float, dict)) or not hasattr(value, "__iter__")):
                raise InvalidInputError(
                    f"`{self.name}` must be module names or block indices (a string, an int or "
                    f"a list of them); received {type(value).__name__}.")
            names = (str(value),) if one else tuple(str(x) for x in value)
            if not names:
                raise InvalidInputError(f"`{self.name}` must name at least one module, or be None.")
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise InvalidInputError(
                    f"`{self.name}` lists {', '.join(map(repr, twice))} more than once; name each "
                    "layer once.")
            return names
        elif self.kind == "str" and not isinstance(value, str):
            raise InvalidInputError(
                f"`{self.name}` must be a string; received {type(value).__name__}.{self._hint}")
        return value

    @property
    def _hint(self) -> str:
        return f" {self.hint}" if self.hint else ""

    def help_with_default(self) -> str:
        """Help text plus the default as users would type it."""
        unset = self.default is None and self.kind != "choice" and not self.none_is_all
        if (self.kind == "bool" and self.default is False) or unset or "default" in self.help:
            return self.help
        if self.default is None:
            shown = "all" if self.none_is_all else "none"
        elif self.kind in ("names", "several"):
            shown = " ".join(self.default)
        else:
            shown = str(self.default)
        return f"{self.help} (default: {shown})"


_ONE_REPLICATE = "One replicate has no spread, so its interval would be a point; 20 is a good start."


def _options() -> tuple[Option, ...]:
    s, load, inp, run = "settings", "loading", "inputs", "run"
    return (
        # estimator and capture settings: every one of these changes the numbers but batch_size
        Option("max_samples", 2500, "examples scored; larger inputs are subsampled with --seed",
               s, "int", minimum=1, hint="Use a positive sample count.", scores=True, space=True),
        Option("seed", 0, "seed for subsampling, the random MI neuron subset and UnitMem's "
               "augmented views", s, "int",
               minimum=0, scores=True, space=True),
        Option("bins", DEFAULT_BINS, "equal-width bins for entropy (and binned MI)", s, "int",
               minimum=2, hint="Entropy needs at least two bins.", scores=True, space=True),
        Option("binning", "global", "bin range: one for all activations (the paper's), per "
               "layer, or per neuron", s, "choice", choices=("global", "layer", "neuron"),
               scores=True, space=True),
        Option("correction", None, "entropy bias correction", s, "choice",
               choices=(None, "miller-madow"), scores=True, optional=True),
        Option("paper_digitize", False, "reproduce the paper code's np.digitize binning (the "
               "maximum gets a bin of its own)", s, "bool", scores=True),
        Option("k", DEFAULT_K, "KSG neighbours", s, "int", minimum=1,
               hint="KSG needs at least one neighbour (the paper uses 3).", scores=True,
               space=True),
        Option("mi_estimator", "ksg", "mutual information estimator: ksg (the paper's), binned "
               "(fast, biased up for small S) or none", s, "choice",
               choices=("ksg", "binned", "none"), scores=True, space=True),
        Option("mi_neurons_per_layer", 64, "neurons per layer entering MI (0 on the command "
               "line = all)", s, "int", minimum=1, scores=True, none_is_all=True, space=True),
        Option("mi_subset", "first", "which neurons of a layer enter MI: the first ones or a "
               "random subset (uses --seed)", s, "choice", choices=("first", "random"),
               scores=True),
        Option("mi_subset_seed", None, "seed of the random MI neuron subset (default: --seed)",
               s, "int", minimum=0, scores=True, optional=True),
        Option("mi_diagonal", False, "average the full MI matrix including self-MI, as the "
               "paper's code", s, "bool", scores=True),
        Option("pooling", None, "token pooling; default: first for encoders and ViTs, last for "
               "decoders", s, "choice", choices=(None, "first", "last", "mean"), scores=True,
               optional=True),
        Option("layers", None, "block indices or module names to capture instead of every "
               "block", s, "names", scores=True, optional=True, extra={"nargs": "+"}),
        Option("max_length", 512, "tokens per text (longer texts are cut)", s, "int",
               minimum=1, scores=True),
        Option("batch_size", 16, "examples per forward pass (speed only)", s, "int", minimum=1),
        Option("n_bootstrap", 0, "bootstrap resamples of the examples for entropy intervals",
               s, "int", minimum=2, zero_is_off=True, hint=_ONE_REPLICATE, scores=True),
        Option("intervals", 0, "replicates for 95% intervals of the scores (subsamples without "
               "replacement; paired across models in compare; 0 = none, 20 is a good start)",
               s, "int", minimum=2, zero_is_off=True, hint=_ONE_REPLICATE, space=False),
        Option("interval_fraction", 0.8, "share of the examples in each interval replicate",
               s, "fraction"),
        Option("interval_pairs", 2000, "random neuron pairs in each MI replicate", s, "int",
               minimum=1),
        # model loading
        Option("revision", None, "model revision on the Hub (branch, tag or commit)", load,
               metric_load=True),
        Option("device_map", None, 'accelerate device map, e.g. "auto" to shard across GPUs',
               load, "any", metric_load=True),
        Option("torch_dtype", None, "weights dtype: float32, bfloat16, float16 or auto", load,
               metric_load=True),
        Option("max_memory", None, "per-device memory caps for the device map, as JSON, e.g. "
               "'{\"0\": \"10GiB\", \"cpu\": \"30GiB\"}'", load, "mapping", metric_load=True),
        Option("offload_folder", None, "folder for weights the device map offloads to disk",
               load, metric_load=True),
        Option("gguf_file", None, "GGUF weights to load from the model folder or repo (or pass "
               "the .gguf file as the model); de-quantized to float, needs the gguf package",
               load, metric_load=True),
        Option("trust_remote_code", False, "run the model repo's own code (only for repos you "
               "trust)", load, "bool", metric_load=True),
        Option("token", None, "Hub token (default: HF_TOKEN or `hf auth login`); never shown",
               load, "any", metric_load=True),
        # inputs (the metric takes its texts as `predictions`)
        *(Option(name, default, text, inp, kind, metric=False,
                 not_everywhere="the metric scores its `predictions`")
          for name, default, text, kind in (
              ("dataset", None, "datasets id or local dataset directory", "any"),
              ("config", None, "dataset configuration name", "str"),
              ("split", None, "dataset split (default: validation, test or the first)", "str"),
              ("column", None, "text or image column (default: a text-like column)", "str"),
              ("data_revision", None, "dataset revision", "str"),
              ("encoding", "utf-8", "text encoding of a --file (all but .parquet)", "str"),
              ("streaming", False, "stream the dataset (takes its first rows)", "bool"),
              ("file", None, "local .txt (one text per line), .csv, .tsv, .json, .jsonl or "
               ".parquet", "any"),
          )),
        # verbatim extraction (infomem extract; evaluate.load("infomem", "extraction"))
        Option("prefix_tokens", 32, "tokens of each text given as the prompt", "extraction",
               "int", minimum=1, command="extract"),
        Option("suffix_tokens", 32, "tokens that must come out verbatim after the prompt",
               "extraction", "int", minimum=1, command="extract"),
        Option("min_k", 0.2, "share of the lowest token log-probabilities Min-K% Prob averages",
               "extraction", "fraction", one_included=True, command="extract"),
        Option("activations", False, "then compare the activations of the extracted and the "
               "non-extracted texts: entropy and MI at equal S, and a linear probe's AUC",
               "extraction", "bool", command="extract"),
        # UnitMem (infomem unitmem; infomem score --measures unitmem). Its numbers do not
        # enter the entropy/MI comparable key: UnitMemReport.settings records them.
        Option("augmentations", 1, "views per example UnitMem averages: the example and A-1 "
               "augmented views (images: crop, flip, colour jitter; text: drop 10% of the words)",
               "unitmem", "int", minimum=1, metavar="A", command="unitmem",
               hint="Use 1 for the examples themselves (no augmentation), or more views."),
        Option("augment", None, "callable augment(item, rng) -> item making UnitMem's views "
               "2..A (default: the modality's transform)", "unitmem", "any", flag=None,
               command="unitmem", not_everywhere="a Python callable has no CLI flag; the CLI "
               "uses the default views"),
        Option("unitmem_layers", None, "block indices or module names UnitMem hooks instead of "
               "each block's activation modules (named modules must be non-negative, or GELU / "
               "SiLU)", "unitmem", "names", optional=True, metavar="LAYER", command="unitmem",
               extra={"nargs": "+"}),
        # run and output
        Option("measures", ("entropy", "mi"), "what to compute: entropy, mi (mutual "
               "information, needs entropy) and unitmem (per-unit memorization, Wang et al. "
               "2024, on the same model and inputs); unitmem alone = infomem unitmem", run,
               "several", choices=("entropy", "mi", "unitmem"), metavar="MEASURE",
               extra={"nargs": "+"}, hint="Pass e.g. `entropy mi unitmem`."),
        Option("mi_device", None, 'compute MI on this device, e.g. "cuda": the numba.cuda KSG '
               "kernel with the [gpu] extra, else torch", run),
        Option("return_mi_matrix", False, "keep the MI matrix in the result", run, "bool",
               flag="--mi-matrix", metric=False,
               not_everywhere="the metric returns flat numbers, not matrices"),
    )


OPTIONS: dict[str, Option] = {o.name: o for o in _options()}


def option(name: str) -> Option:
    return OPTIONS[name]


def default(name: str) -> Any:
    """An option's default: the one place it is written."""
    return OPTIONS[name].default


def in_group(group: str) -> list[Option]:
    return [o for o in OPTIONS.values() if o.group == group]


def check_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check each named option with its rule; unknown names are refused with the list."""
    _refuse_unknown(values, set(OPTIONS))
    return {name: OPTIONS[name].check(value) for name, value in values.items()}


def split_options(values: Mapping[str, Any], groups: Iterable[str] = GROUPS) -> dict[str, dict[str, Any]]:
    """Keyword options by group (unknown names refused): {"settings": {...}, ...}."""
    allowed = set(groups)
    _refuse_unknown(values, {n for n, o in OPTIONS.items() if o.group in allowed})
    out: dict[str, dict[str, Any]] = {g: {} for g in allowed}
    for name, value in values.items():
        out[OPTIONS[name].group][name] = value
    return out


def _refuse_unknown(values: Iterable[str], known: set[str]) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        close = [m for u in unknown for m in difflib.get_close_matches(u, known, n=1)]
        guess = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InvalidInputError(
            f"Unknown setting(s) or option(s) {', '.join(unknown)}{guess}; valid ones: "
            f"{', '.join(sorted(known))}.")


def settings_conflict(settings: Any, knobs: Sequence[str]) -> None:
    """Refuse both a Settings object and separate setting keywords: one would be ignored."""
    if settings is not None and knobs:
        raise InvalidInputError(
            f"Pass either `settings=` or setting keywords, not both: received settings and "
            f"{', '.join(sorted(knobs))}. Use dataclasses.replace(settings, ...) to change one.")


def parse_mapping(text: str | None, name: str) -> dict[Any, Any] | None:
    """A CLI JSON object (e.g. --max-memory), device keys as ints where they are digits."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInputError(
            f"`--{name.replace('_', '-')}` must be a JSON object like "
            f"'{{\"0\": \"10GiB\", \"cpu\": \"30GiB\"}}'; received {text!r} ({e.msg}).") from e
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"`--{name.replace('_', '-')}` must be a JSON object; received {text!r}.")
    return {int(k) if str(k).isdigit() else k: v for k, v in value.items()}
