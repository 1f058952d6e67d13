"""`infomem card | publish-metric | push-results`: the Hub subcommands.

(`infomem deploy-space` lives with the Space app, in infomem.space.cli, and uploads
through :func:`infomem.hub.upload_space`.)

`add_parsers(subparsers)` registers them on the `infomem` command; each handler takes the
parsed arguments and returns an exit code. Errors are InfomemError subclasses, which the
`infomem` entry point prints as one line. Hub libraries load inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infomem.cli import Arguments, add_command
from infomem.errors import InvalidInputError

__all__ = ["add_parsers", "cmd_card", "cmd_publish_metric", "cmd_push_results"]

_TOKEN = {"--token": {"default": None, "help": "Hub token (default: HF_TOKEN or the `hf auth "
                      "login` token); never printed"}}
_CARD: Arguments = {
    "model_id": {"help": "Hub model id the result belongs to (ORG/NAME)"},
    "result": {"nargs": "?", "default": None, "help": "result JSON written by `infomem score "
               "--out` (optional with --extraction)"},
    "--extraction": {"metavar": "EX.json", "help": "extraction result JSON written by "
                     "`infomem extract --out`: its own block"},
    "--unitmem": {"metavar": "UM.json", "help": "UnitMem report JSON written by `infomem "
                  "unitmem --out`: a subsection of the score section (needs RESULT; replaces "
                  "the UnitMem the result carries)"},
    "--commit-directly": {"action": "store_true",
                          "help": "commit to main instead of opening a PR (needs write access)"},
    "--dry-run": {"action": "store_true", "help": "print the card diff; write nothing"},
    "--readme": {"help": "offline: edit this local card file instead of the Hub"},
    "--output": {"help": "offline: where to write the edited card (with --readme)"},
    "--new-card": {"action": "store_true",
                   "help": "with --readme: start a new card when the file does not exist yet"},
    "--force": {"action": "store_true",
                "help": "accept a result whose model id differs from MODEL_ID"},
    "--message": {"help": "commit message / PR title"},
    **_TOKEN,
}
_PUBLISH_METRIC: Arguments = {
    "repo_id": {"metavar": "ORG/NAME", "help": "the Space to create or update"},
    "--private": {"action": "store_true", "help": "create the Space private"},
    "--requirement": {"default": None, "help": "install infomem from this requirement instead "
                      "of carrying a copy (e.g. 'infomem[space] @ git+https://...'; default: "
                      "the copy)"},
    **_TOKEN,
}
_PUSH_RESULTS: Arguments = {
    "dataset_id": {"help": "Hub dataset repo (ORG/NAME)"},
    "results": {"nargs": "+", "metavar": "RESULT.json",
                "help": "files written by `infomem score|extract|unitmem --out`"},
    "--create-pr": {"action": "store_true", "help": "open a PR instead of committing"},
    "--private": {"action": "store_true", "help": "create the dataset private"},
    **_TOKEN,
}


def add_parsers(sub: Any) -> None:
    """Register the Hub subcommands on an argparse subparsers object (skips names taken)."""
    taken = set(getattr(sub, "choices", None) or {})
    commands = {
        "card": (_CARD, cmd_card, {
            "late_positional": "result",
            "help": "write results into a model card on the Hub (a PR by default)",
            "description": "Add a result's scores to MODEL_ID's card: model-index eval results, "
            ".eval_results/ files, and a section with per-layer table, settings, limits and a "
            "plot (with --unitmem, a UnitMem subsection). With --extraction, a separate "
            "verbatim-extraction block; it works without RESULT too. Opens a pull request "
            "unless --commit-directly. Only infomem's parts of the card change; running it "
            "again changes nothing."}),
        "publish-metric": (_PUBLISH_METRIC, cmd_publish_metric, {
            "help": "publish the metric as a Space for evaluate.load('ORG/NAME')",
            "description": "Create or update the Space ORG/NAME with NAME.py (the evaluate "
            "metric script), its metric card, app.py, a copy of infomem (infomem/) and "
            "requirements.txt pinning infomem's dependencies as installed here, so that the "
            "Space builds on the Hub."}),
        "push-results": (_PUSH_RESULTS, cmd_push_results, {
            "help": "add result JSONs to a Hub dataset (the Space leaderboard)",
            "description": "Append results to DATASET_ID (creating the dataset if needed): "
            "score results to results/infomem.jsonl, extraction results to "
            "results/extraction.jsonl, UnitMem reports to results/unitmem.jsonl; one record per "
            "model x inputs x settings, re-runs replace their record."}),
    }
    for name, (arguments, handler, texts) in commands.items():
        if name not in taken:
            add_command(sub, name, arguments, handler, **texts)


def cmd_card(args: argparse.Namespace) -> int:
    from infomem.hub.cards import annotate_card_file, annotate_model_card

    parts = {"extraction": args.extraction, "unitmem": args.unitmem}
    if args.output and not args.readme:
        raise InvalidInputError("`--output` needs `--readme IN` (the local card to edit).")
    if args.readme:
        from infomem.cli.outputs import check_output

        if not args.output and not args.dry_run:
            raise InvalidInputError("With `--readme`, pass `--output OUT` (or `--dry-run` for the diff).")
        if not Path(args.readme).is_file() and not args.new_card:
            raise InvalidInputError(
                f"`--readme` {args.readme!r} does not exist (or is not a file); check the path, "
                "or pass `--new-card` to start a card from nothing.")
        if not args.dry_run:
            check_output(args.output, flag="--output")
        _new, diff = annotate_card_file(args.readme, args.result, **parts, repo_id=args.model_id,
                                        force=args.force,
                                        output=None if args.dry_run else args.output)
        if args.dry_run:
            sys.stdout.write(diff or "No change: the card already holds these results.\n")
        else:
            print(f"Wrote {args.output}" + ("" if diff else " (no change)."))
        return 0
    update = annotate_model_card(
        args.model_id, args.result, **parts, create_pr=not args.commit_directly, token=args.token,
        dry_run=args.dry_run, force=args.force, commit_message=args.message,
    )
    if args.dry_run and update.diff:
        sys.stdout.write(update.diff)
    print(update.summary())
    return 0


def cmd_publish_metric(args: argparse.Namespace) -> int:
    from infomem.hub.spaces import publish_metric

    upload = publish_metric(args.repo_id, token=args.token, private=args.private,
                            infomem_requirement=args.requirement)
    print(upload.summary())
    print(f'Load it with: evaluate.load("{args.repo_id}")')
    return 0


def cmd_push_results(args: argparse.Namespace) -> int:
    from infomem.hub.results_repo import push_results

    outcome = push_results(args.dataset_id, args.results, token=args.token,
                           create_pr=args.create_pr, private=args.private)
    print(outcome.summary())
    return 0
