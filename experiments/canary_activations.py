"""Activations of memorized text, on ground truth: do infomem's entropy / MI, or a linear
probe on the captured activations, tell extracted canaries from canaries that were not?

The canary recipe of :mod:`experiments.canary_extraction` (same corpus, tokenizer, model,
training and the same canaries r in {0, 1, 4, 16, 64}), plus 60 canaries inserted 8 times
and 60 inserted 12 times: at r = 16 about 0.82 of the 20 canaries come out verbatim, so
the non-extracted group has 3-5 members, too few to score; r = 8 and 12 sit on the way up
from 0 (r = 4) and give both groups at one exposure count. Each trained model is saved
(model + tokenizer + canaries) so the analysis reruns without training.

Analysis per seed: ``infomem.extraction(..., activations=True)`` on the canaries of one
exposure count (the clean comparison: same length, same exposures, extracted or not), and
on all canaries together (extraction there goes with exposure, so the groups also differ
in r). A probe on shuffled labels is the chance control.

Run: ``python -m experiments.canary_activations [--seeds 0 1] [--train-only]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import canary_extraction as exp
from experiments import common

SETUP = "canary_activations"
MID_REPEATS = (8, 12)  # between r = 4 (none extracted) and r = 16 (0.82 extracted)
MID_PER_GROUP = 60  # both groups >= the comparison's minimum at a rate in about [0.2, 0.8]
NULL_SHUFFLES = 20  # probes on permuted labels: the AUC a probe reaches by chance


def corpus(seed: int) -> dict[str, Any]:
    """The canary_extraction corpus of ``seed`` plus the mid-exposure canary groups."""
    texts = list(exp.snippets())
    order = np.random.default_rng([seed, 1]).permutation(len(texts))
    held = [texts[i] for i in order[: exp.HELD_OUT]]
    train_texts = [texts[i] for i in order[exp.HELD_OUT:]]
    tok = exp.build_tokenizer(train_texts, exp.VOCAB_SIZE)
    *groups, reference = exp.make_canaries(tok, len(exp.REPEATS) + 1, exp.CANARIES_PER_GROUP,
                                           np.random.default_rng([seed, 2]))
    mid = exp.make_canaries(tok, len(MID_REPEATS), MID_PER_GROUP, np.random.default_rng([seed, 3]))
    canaries = {**{str(r): g for r, g in zip(exp.REPEATS, groups, strict=True)},
                **{str(r): g for r, g in zip(MID_REPEATS, mid, strict=True)}}
    return {"tok": tok, "train": train_texts, "held": held, "canaries": canaries,
            "reference": reference}


def train_seed(seed: int, folder: Path) -> None:
    """Train one model on the corpus with every canary group inserted; save it to ``folder``."""
    data = corpus(seed)
    tok = data["tok"]
    inserted = [c for r, group in data["canaries"].items() for c in group for _ in range(int(r))]
    docs = exp.documents(tok, data["train"] + inserted)
    model = exp.make_model(len(tok), seed)
    print(f"seed {seed}: {len(data['train'])} snippets + {len(inserted)} canary copies, "
          f"{sum(map(len, docs))} tokens", flush=True)
    metrics = exp.train(model, docs, epochs=exp.EPOCHS, seed=seed)
    metrics["held_out_nll"] = exp.held_out_nll(model, exp.documents(tok, data["held"][:300]))
    metrics["train_tokens"] = sum(map(len, docs))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    (folder / "canaries.json").write_text(json.dumps(
        {"canaries": data["canaries"], "reference": data["reference"], "metrics": metrics}))
    print(f"seed {seed}: trained in {metrics['train_seconds']:.0f} s, saved to {folder}", flush=True)


def load(folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """The saved model (eval mode), its tokenizer and the canaries it was trained with."""
    from transformers import AutoTokenizer, GPT2LMHeadModel

    model = GPT2LMHeadModel.from_pretrained(folder).eval()
    return model, AutoTokenizer.from_pretrained(folder), json.loads((folder / "canaries.json").read_text())


def null_probe(acts: Any, labels: np.ndarray, observed: float, seed: int) -> dict[str, Any]:
    """Probe AUCs with the labels shuffled: what the probe reaches on these activations by chance."""
    from infomem.estimators.probe import probe_auc

    rng = np.random.default_rng([seed, 5])
    aucs = [probe_auc(acts.values, rng.permutation(labels), seed=seed).auc for _ in range(NULL_SHUFFLES)]
    return {"shuffles": NULL_SHUFFLES, "mean": float(np.mean(aucs)), "p95": float(np.percentile(aucs, 95)),
            "p_value": (1 + sum(a >= observed for a in aucs)) / (1 + NULL_SHUFFLES)}


def variants(model: Any, tok: Any, group: Sequence[str], result: Any, seed: int) -> dict[str, Any]:
    """The clean group three ways (last token, mean of tokens, prefix only), each with its
    shuffled-label probes, and the output-level Min-K% AUC of the same two groups."""
    from infomem.activations.models import wrap_model
    from infomem.estimators.membership import mann_whitney
    from infomem.scoring.extraction_activations import capture_texts, compare_groups

    settings = analysis_settings(seed)
    indices = [r.index for r in result.records]
    labels = np.array([r.extracted for r in result.records])
    prefixes = [" ".join(t.split()[: exp.PREFIX]) for t in group]  # one word = one token
    ways = {"last_token": (group, settings),
            "mean_pooling": (group, dataclasses.replace(settings, pooling="mean")),
            "prefix_only": (prefixes, settings)}
    out: dict[str, Any] = {}
    for name, (texts, how) in ways.items():
        acts = capture_texts(wrap_model(model, tok), [texts[i] for i in indices], how, None, progress=False)
        comparison = compare_groups(acts, labels, how)
        out[name] = {**comparison, "null_probe": null_probe(acts, labels, comparison["probe"]["auc"], seed)}
    mink = np.array([r.min_k_prob for r in result.records])
    out["min_k_auc"] = mann_whitney(mink[labels], mink[~labels]).auc
    return out


def analysis_settings(seed: int) -> Any:
    from infomem.scoring.extraction_activations import comparison_settings

    return comparison_settings(batch_size=32, max_length=exp.MAX_TOKENS, seed=seed)


def analyse(seed: int, folder: Path) -> dict[str, Any]:
    """Extraction with the activation comparison per exposure count, pooled, and variants."""
    from infomem.scoring.extraction import extraction

    model, tok, saved = load(folder)
    options = {"tokenizer": tok, "prefix_tokens": exp.PREFIX, "suffix_tokens": exp.SUFFIX,
               "batch_size": 32, "progress": False, "activations": True,
               "activation_settings": analysis_settings(seed)}
    t0 = time.perf_counter()
    by_r = {r: extraction(model, group, **options) for r, group in saved["canaries"].items()}
    everything = [c for group in saved["canaries"].values() for c in group]
    pooled = extraction(model, everything, **options)
    clean = {r: variants(model, tok, saved["canaries"][r], res, seed) for r, res in by_r.items()
             if res.activations and res.activations["skipped"] is None}
    return {"seed": seed, "metrics": saved["metrics"], "seconds": time.perf_counter() - t0,
            "by_r": {r: res.to_dict() for r, res in by_r.items()}, "pooled": pooled.to_dict(),
            "variants": clean}


def cached_analyses(out: Path) -> list[dict[str, Any]]:
    """The analyses already computed (for the canary_extraction report), by seed."""
    found = sorted((out / "cache" / SETUP).glob("seed*/analysis.json"))
    return [json.loads(p.read_text()) for p in found]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--train-only", action="store_true", help="train and save the models, no analysis")
    parser.add_argument("--out", type=Path, default=common.RESULTS)
    args = parser.parse_args(argv)
    common.limit_threads()
    cache = args.out / "cache" / SETUP
    for seed in args.seeds:
        folder = cache / f"seed{seed}"
        if not (folder / "canaries.json").exists():
            t0 = time.perf_counter()
            train_seed(seed, folder)
            print(f"seed {seed}: {time.perf_counter() - t0:.0f} s in all", flush=True)
    if args.train_only:
        return
    for seed in args.seeds:
        path = cache / f"seed{seed}" / "analysis.json"
        if not path.exists():
            path.write_text(json.dumps(analyse(seed, cache / f"seed{seed}")))
            print(f"seed {seed}: analysed", flush=True)
    write_report(args.out, sys.argv[1:] if argv is None else list(argv))


def write_report(out: Path, argv: Sequence[str]) -> None:
    """Regenerate canary_extraction.md with the cached canary runs and these analyses."""
    from experiments import canary_report

    base = out / "cache" / exp.SETUP
    seeds = [json.loads(p.read_text()) for p in sorted(base.glob("seed*.json"))]
    smol = base / "smollm2.json"
    path = canary_report.write(seeds, json.loads(smol.read_text()) if smol.exists() else None, out,
                               quick=False, command=common.command(exp.SETUP, []),
                               commit=common.git_commit(), activations=cached_analyses(out),
                               activations_command=common.command(SETUP, list(argv)))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
