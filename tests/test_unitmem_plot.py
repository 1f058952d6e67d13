"""The UnitMem figure (infomem.presentation.unitmem_plot) for images: the report carries
thumbnails of the top units' examples, and the plot with them is drawn to a file."""

from __future__ import annotations

from infomem.scoring.unitmem import unit_mem_score

import factories


def test_images_get_thumbnails_and_a_plot(tiny_vit, tmp_path):
    report = unit_mem_score(str(tiny_vit), factories.random_images(8), augmentations=2,
                            progress=False)
    tops = {t.example for layer in report.per_layer for t in layer.top}
    assert set(report.thumbnails) == tops and report.settings["augment"] == "default (image)"
    report.plot(tmp_path / "um.png")
    assert (tmp_path / "um.png").stat().st_size > 10_000
