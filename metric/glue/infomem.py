"""infomem as an evaluate metric script.

evaluate.load copies this one file into its module cache (or fetches it from a Space)
and runs it; the metric itself lives in the installed package. One import per line:
evaluate's import scanner misreads `import a, b`.
"""

import evaluate  # noqa: F401  (evaluate's scanner requires it to be installed)

from infomem.glue.evaluate_module import InfoMem  # noqa: F401

