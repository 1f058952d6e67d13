"""The event boundary (infomem.space.events): every error a handler raises reaches the page as
one line, the library's own messages as they are."""

from __future__ import annotations

import pytest

from infomem.errors import InvalidInputError


def test_boundary_turns_every_error_into_one_line() -> None:
    import gradio as gr

    from infomem.space.events import boundary

    def fails(error: Exception) -> None:
        raise error

    guarded = boundary(fails)
    with pytest.raises(gr.Error) as info:
        guarded(InvalidInputError("`bins` must be an integer >= 2; received 1."))
    assert info.value.message == "`bins` must be an integer >= 2; received 1."
    with pytest.raises(gr.Error) as info:
        guarded(RuntimeError("size mismatch\n  at line 3"))
    assert info.value.message.startswith("Something went wrong on the server (RuntimeError: "
                                         "size mismatch).")
