"""`infomem extract`: verbatim extraction and Min-K% membership of a causal LM.

Registered through the `infomem.commands` entry points; imports stay light until the
handler runs.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from infomem.cli import add_options, options_from_args, relaunch, silence_library_bars
from infomem.errors import InvalidInputError

if TYPE_CHECKING:
    from infomem.activations.data import Inputs

__all__ = ["add_parsers", "print_extraction", "print_activations"]

_DESCRIPTION = """\
For each text, give the model its first --prefix-tokens tokens, greedy-decode
--suffix-tokens more, and count the text as extracted when every decoded token matches
the text (Carlini et al. 2022). Also the matched fraction (position by position) and
Min-K% Prob of the whole text (Shi et al. 2024). With a reference split the model cannot
have seen (--reference-file / --reference-dataset), one-sided Mann-Whitney tests and AUCs
say whether the candidates look more memorized than the reference. --activations then
compares the activations of the extracted and the non-extracted texts (entropy and MI at
equal S, a linear probe's AUC). MODEL is required: extraction needs a causal LM (the
embedded default is an encoder)."""

_EPILOG = """\
examples:
  infomem extract my-org/my-lm --file candidates.txt --reference-file written_later.txt
  infomem extract my-org/my-lm --dataset my-org/news --split train --column text --json
  infomem extract my-org/my-lm --file candidates.txt --activations --num-processes 2"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("extract", help="verbatim extraction and Min-K%% membership of a causal LM",
                       description=_DESCRIPTION, epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="Hub id or local path of a causal language model")
    add_options(p, "inputs")
    ref = p.add_argument_group("reference texts (the model cannot have seen them)")
    ref.add_argument("--reference-file", help="a text file (one per line) or a table")
    ref.add_argument("--reference-dataset", help="a datasets id or saved dataset directory")
    ref.add_argument("--reference-split", help="its split (default: validation, test or the first)")
    ref.add_argument("--reference-column", help="its text column (default: a text-like column)")
    add_options(p, "loading")
    add_options(p, "extraction")
    add_options(p, "settings", only=("max_samples", "seed", "batch_size", "max_length"),
                title="sampling and batching")
    g = p.add_argument_group("run and output")
    g.add_argument("--num-processes", type=int, default=1,
                   help="decoding, scoring and capture split across N processes (torchrun; one "
                   "per GPU; the one-process numbers; default: 1)")
    g.add_argument("--json", action="store_true", help="print the summary as JSON")
    g.add_argument("--out", help="write the full result JSON (per-text records) here")
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_cmd_extract)


def _texts(args: argparse.Namespace, *, reference: bool) -> Inputs | None:
    from infomem.activations.data import load_inputs

    if reference:
        if args.reference_file is None and args.reference_dataset is None:
            loose = [f for f, v in (("--reference-split", args.reference_split),
                                    ("--reference-column", args.reference_column)) if v is not None]
            if loose:
                raise InvalidInputError(
                    f"`{'` and `'.join(loose)}` appl{'ies' if len(loose) == 1 else 'y'} to the "
                    "reference texts: pass `--reference-file` or `--reference-dataset` too.")
            return None
        source = {"file": args.reference_file, "dataset": args.reference_dataset,
                  "split": args.reference_split, "column": args.reference_column,
                  "encoding": args.encoding}
    else:
        source = options_from_args(args, "inputs")
    source = {k: v for k, v in source.items() if v is not None}
    return load_inputs(max_samples=args.max_samples, seed=args.seed, **source)


def _cmd_extract(args: argparse.Namespace) -> int:
    import os
    import warnings

    if args.num_processes < 1:
        raise InvalidInputError(f"`--num-processes` must be >= 1; received {args.num_processes}.")
    if args.num_processes > 1 and "WORLD_SIZE" not in os.environ:
        return relaunch(args.num_processes)
    from infomem.cli.outputs import check_output, write_or_keep
    from infomem.scoring.extraction import extraction
    from infomem.scoring.extraction_activations import comparison_settings
    from infomem.scoring.files import dump_json

    main_rank = os.environ.get("RANK", "0") == "0"
    if not main_rank:
        warnings.simplefilter("ignore")  # rank 0 says it once
    check_output(args.out, flag="--out")
    if args.quiet or args.json:
        silence_library_bars()
    texts = _texts(args, reference=False)
    reference = _texts(args, reference=True)
    compare = comparison_settings(batch_size=args.batch_size, max_length=args.max_length,
                                  seed=args.seed)
    result = extraction(args.model, texts or [], reference=reference, batch_size=args.batch_size,
                        max_length=args.max_length, progress=not (args.quiet or args.json),
                        activation_settings=compare, **options_from_args(args, "extraction"),
                        **options_from_args(args, "loading"))
    if not main_rank:
        return 0  # one process writes and prints
    failed = False
    if args.out:
        data = result.to_dict()
        failed = not write_or_keep(lambda: dump_json(data, args.out), what="result JSON",
                                   path=args.out, fallback_text=lambda: dump_json(data))
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print_extraction(result)
    return 2 if failed else 0


def print_extraction(result: Any) -> None:
    """The rates, the tests against the reference, and how many texts were used."""
    from rich.console import Console
    from rich.table import Table

    from infomem.presentation.tables import print_table

    s = result.settings
    table = Table(title=f"{result.model.get('id')} · prefix {s.get('prefix_tokens')} / suffix "
                  f"{s.get('suffix_tokens')} tokens · Min-K% k = {s.get('min_k')}")
    for name in ("texts", "used", "extracted", "rate [95%]", "mean matched", "mean Min-K%"):
        table.add_column(name, justify="right")
    table.add_row("candidates", str(result.n_used), str(result.n_extracted),
                  f"{result.extraction_rate:.3f} [{result.extraction_rate_low:.3f}, "
                  f"{result.extraction_rate_high:.3f}]", f"{result.mean_matched_fraction:.3f}",
                  f"{result.mean_min_k_prob:.3f}")
    if result.n_reference_used is not None:
        table.add_row("reference", str(result.n_reference_used), "",
                      f"{result.reference_extraction_rate:.3f}",
                      f"{result.reference_mean_matched_fraction:.3f}",
                      f"{result.reference_mean_min_k_prob:.3f}")
    console = Console()
    print_table(console, table)
    if result.n_skipped:
        console.print(f"{result.n_skipped} of {result.n_texts} texts were shorter than prefix + "
                      "suffix tokens and were skipped.", style="dim")
    if result.min_k_p_value is not None:
        console.print(f"candidates vs reference (one-sided Mann-Whitney): Min-K% AUC "
                      f"{result.min_k_auc:.3f}, p = {result.min_k_p_value:.3g}; matched fraction "
                      f"AUC {result.matched_fraction_auc:.3f}, p = {result.matched_fraction_p_value:.3g}")
    else:
        console.print("No reference split: rates only. Pass --reference-file with texts the "
                      "model cannot have seen to test membership.", style="dim")
    if result.activations is not None:
        print_activations(result.activations, console)


def print_activations(comparison: dict[str, Any], console: Any) -> None:
    """Entropy and MI of the extracted vs the non-extracted texts, and the probe's AUC."""
    from rich.table import Table

    from infomem.hub.card_format import interval_cell
    from infomem.presentation.tables import print_table

    if comparison.get("skipped"):
        console.print(f"activations: skipped: {comparison['skipped']}")
        return
    level = f"{comparison['level']:.0%}"
    table = Table(title=f"activations: extracted vs not · S = {comparison['n_per_group']} per group "
                  f"· {level} intervals")
    for name in ("group", "texts", f"mean entropy (nats) [{level}]", f"mean MI (nats) [{level}]"):
        table.add_column(name, justify="right")
    for key, label, n in (("extracted", "extracted", comparison["n_extracted"]),
                          ("not_extracted", "not extracted", comparison["n_not_extracted"]),
                          ("difference", "difference", "")):
        row, signed = comparison[key], key == "difference"
        table.add_row(label, str(n), *(interval_cell(row, score, signed=signed, missing="-")
                                       for score in ("mean_entropy", "mean_mi")))
    print_table(console, table)
    probe = comparison["probe"]
    console.print(f"linear probe on {probe['n_features']} activations: held-out AUC {probe['auc']:.3f} "
                  f"(sd {probe['auc_sd']:.3f} over {probe['folds']} stratified folds; 0.5 = no "
                  "separation)")
    for message in comparison.get("warnings", []):
        console.print(f"warning: {message}", style="dim")
