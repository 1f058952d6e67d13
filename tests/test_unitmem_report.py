"""The UnitMem report (infomem.scoring.unitmem_report): a dict and JSON round trip keeps every
value, the settings and the versions; other files are refused."""

from __future__ import annotations

import numpy as np
import pytest

from infomem.errors import ResultFormatError
from infomem.scoring.unitmem import unit_mem_score
from infomem.scoring.unitmem_report import UnitMemReport

import factories


def test_report_round_trips(tmp_path):
    report = unit_mem_score(factories.tiny_mlp(), factories.mlp_rows(), augmentations=2, progress=False)
    back = UnitMemReport.from_dict(report.to_dict())
    assert back == report and back.to_dict().keys() == report.to_dict().keys()
    np.testing.assert_array_equal(back.per_layer[0].values, report.per_layer[0].values)
    path = tmp_path / "um.json"
    report.to_json(path)
    loaded = UnitMemReport.from_json(path)
    assert loaded == report and loaded.settings["augment"] == "default (tensor)"
    assert {"torch", "numpy"} <= set(loaded.versions)
    with pytest.raises(ResultFormatError, match="not an infomem UnitMem report"):
        UnitMemReport.from_dict({"format": "infomem-result"})
