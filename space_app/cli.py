"""`infomem app` and `infomem deploy-space`, registered by the main CLI (infomem.cli).

Only argparse at import time: gradio loads when the app is built.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from infomem.cli import Arguments, add_command
from infomem.errors import InvalidInputError

__all__ = ["add_parsers", "check_address"]


_APP: Arguments = {
    "--host": {"default": "127.0.0.1", "help": "address to listen on (default 127.0.0.1)"},
    "--port": {"type": int, "default": 7860, "help": "port (default 7860)"},
    "--share": {"choices": ["off", "on"], "default": "off",
                "help": "a public gradio.live link (needs the network; default off)"},
    "--max-samples": {"type": int, "default": None, "help": "cap on examples per request "
                      "(default: INFOMEM_SPACE_MAX_SAMPLES or 1000)"},
    "--results": {"default": None,
                  "help": "leaderboard source: a folder of result JSONs or a Hub dataset id"},
    "--no-local-paths": {"action": "store_true",
                         "help": "refuse local paths as model/dataset ids, as a public Space does"},
}
_DEPLOY: Arguments = {
    "space": {"metavar": "ORG/NAME", "help": "the Space id"},
    "--output": {"help": "write the files to this folder instead of uploading"},
    "--private": {"action": "store_true", "help": "create the Space private"},
    "--create-pr": {"action": "store_true",
                    "help": "open a pull request instead of committing (Spaces you do not own)"},
    "--token": {"help": "Hub token (default: HF_TOKEN or the stored login)"},
    "--requirement": {"default": None, "help": "how the Space installs infomem (default: "
                      "infomem[space]==VERSION; e.g. a git+https URL)"},
    "--variable": {"action": "append", "default": [], "metavar": "KEY=VALUE", "help": "a Space "
                   "variable, e.g. INFOMEM_RESULTS_DATASET=org/results (repeatable)"},
}


def add_parsers(sub: Any) -> None:
    add_command(sub, "app", _APP, _cmd_app,
         help="run the web demo (Score, Compare, Extraction, Leaderboard) locally",
         description="Start the infomem Gradio app on this machine. Offline it scores the "
         "embedded all-MiniLM-L6-v2; local model folders are accepted as model ids. Limits "
         "come from the INFOMEM_SPACE_* environment variables (see the About tab).")
    add_command(sub, "deploy-space", _DEPLOY, _cmd_deploy,
         help="create or update the demo as a Hugging Face Space",
         description="Upload app.py, a README with the Space's YAML (sdk: gradio, app_file: "
         "app.py) and requirements.txt to the Space ORG/NAME. With --output, only write "
         "those files to a folder.")


def check_address(host: str, port: int) -> None:
    """One line, before the app is built, when the app could not listen on host:port."""
    import socket

    if not 1 <= port <= 65535:
        raise InvalidInputError(f"`--port` must be between 1 and 65535; received {port}.")
    if ":" in host:
        raise InvalidInputError(
            f"`--host` {host!r} is an IPv6 address, which gradio's server URL cannot hold; use "
            "an IPv4 address such as 127.0.0.1, or 0.0.0.0 for every interface.")
    try:
        with socket.socket(socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
            probe.bind((host, port))
    except OSError as e:
        raise InvalidInputError(
            f"Cannot listen on {host}:{port} ({e.strerror or e}): pass a free `--port`, or a "
            "`--host` of this machine.") from e


def _cmd_app(args: argparse.Namespace) -> int:
    check_address(args.host, args.port)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from infomem.space import build_app

    demo = build_app(results_source=args.results, max_samples_cap=args.max_samples,
                     allow_local=not args.no_local_paths)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share == "on")
    return 0


def _cmd_deploy(args: argparse.Namespace) -> int:
    from .deploy import deploy_space, parse_variables, space_files, write_space

    variables = parse_variables(args.variable)
    if args.output:
        files = space_files(args.space, infomem_requirement=args.requirement)
        for path in write_space(args.output, files):
            print(f"wrote {path}")
        if variables:
            shown = ", ".join(f"{k}={v}" for k, v in variables.items())
            print(f"Set these as Space variables in its settings: {shown}")
        return 0
    upload = deploy_space(args.space, token=args.token, private=args.private,
                          create_pr=args.create_pr, infomem_requirement=args.requirement,
                          variables=variables)
    print(f"Deployed the infomem app: {upload.summary()}")
    return 0
