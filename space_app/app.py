"""Entry point of the infomem Space (and of `python app.py`).

On a Hugging Face Space (sdk: gradio, app_file: app.py) this file runs as a script:
it builds the app from the INFOMEM_* environment variables and launches it (the Space
sets the host and port through GRADIO_SERVER_NAME / GRADIO_SERVER_PORT), importing the
copy of infomem that `infomem deploy-space` puts beside it. Imported as
`infomem.space.app`, it does nothing until `demo` is first read, so imports stay free of
side effects while `gradio app.py` (which looks up `demo`) still finds the app.
"""

from __future__ import annotations

import os
from typing import Any

_demo: Any = None


def __getattr__(name: str) -> Any:
    global _demo
    if name == "build_app":  # `from infomem.space.app import build_app` works too
        from infomem.space import build_app

        return build_app
    if name == "demo":
        if _demo is None:
            from infomem.space import build_app

            _demo = build_app()
        return _demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from infomem.space import build_app

    build_app().launch()


if __name__ == "__main__":
    main()
