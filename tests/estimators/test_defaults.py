"""The estimators' defaults are written once (`defaults`), and every option takes them."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from infomem import estimators
from infomem.estimators import DEFAULT_BINS, DEFAULT_K

DEFAULTS = {"k": ("DEFAULT_K", DEFAULT_K), "bins": ("DEFAULT_BINS", DEFAULT_BINS)}


def test_the_papers_values():
    """k = 3 neighbours (and scikit-learn's n_neighbors=3), 100 equal-width bins."""
    assert (DEFAULT_K, DEFAULT_BINS) == (3, 100)


def test_public_functions_take_them_as_keyword_only_options():
    seen = []
    for name in estimators.__all__:
        fn = getattr(estimators, name)
        if not inspect.isfunction(fn):
            continue
        for p in inspect.signature(fn).parameters.values():
            if p.name in DEFAULTS:
                assert p.kind is p.KEYWORD_ONLY, f"{name}({p.name}=...) is not keyword-only"
                assert p.default == DEFAULTS[p.name][1], name
                seen.append(f"{name}.{p.name}")
    assert sorted(seen) == ["bin_codes.bins", "binned_mi.bins", "entropy.bins", "ksg_mi.k",
                            "ksg_mi_pairs.k", "ksg_mi_reference.k"]


def test_no_literal_default_in_the_estimators():
    """A default of KSG's `k` or the binning's `bins` is the name, never a number."""
    folder = Path(estimators.__file__).parent
    for path in [*folder.glob("*ksg*.py"), *folder.glob("*binn*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                pairs = list(zip(args.args[len(args.args) - len(args.defaults):], args.defaults,
                                 strict=True))
                pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
                for arg, default in pairs:
                    if arg.arg in DEFAULTS:
                        assert isinstance(default, ast.Name) and default.id == DEFAULTS[arg.arg][0], (
                            f"{path.name}:{node.lineno} {node.name}({arg.arg}=...)")
