"""print_table: whole tables when output is piped, the terminal's width in a terminal."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from infomem.presentation.tables import print_table

CELLS = [f"value-{i}-xxxxxxxx" for i in range(6)]


def _wide_table() -> Table:
    table = Table()
    for i in range(len(CELLS)):
        table.add_column(f"column {i}")
    table.add_row(*CELLS)
    return table


def test_piped_output_keeps_every_cell_whole():
    out = io.StringIO()
    console = Console(file=out, width=40)
    print_table(console, _wide_table())
    text = out.getvalue()
    assert "…" not in text and all(cell in text for cell in CELLS)
    assert max(map(len, text.splitlines())) > 40
    assert console.width == 40  # restored for the lines printed after the table


def test_a_terminal_keeps_its_width():
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=True, color_system=None)
    print_table(console, _wide_table())
    assert max(map(len, out.getvalue().splitlines())) <= 40
