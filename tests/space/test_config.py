"""The Space's settings (infomem.space.config): every documented environment variable is read,
the default sample count is clipped to the cap, and bad values are refused in one line."""

from __future__ import annotations

import pytest

from infomem.errors import InvalidInputError
from infomem.space import ENV_VARS, SpaceConfig


def test_config_reads_every_documented_variable() -> None:
    env = {
        "INFOMEM_SPACE_MAX_SAMPLES": "500", "INFOMEM_SPACE_DEFAULT_SAMPLES": "800",
        "INFOMEM_SPACE_MAX_PARAMS": "1_000_000", "INFOMEM_SPACE_MAX_MODELS": "2",
        "INFOMEM_SPACE_CONCURRENCY": "3", "INFOMEM_SPACE_MAX_QUEUE": "5",
        "INFOMEM_SPACE_CACHED_MODELS": "1", "INFOMEM_SPACE_ALLOW_LOCAL": "yes",
        "INFOMEM_RESULTS_DATASET": "org/results", "INFOMEM_RESULTS_DIR": "",
    }
    assert set(env) == set(ENV_VARS.values())
    config = SpaceConfig.from_env(env)
    assert (config.max_samples, config.max_params, config.concurrency) == (500, 1_000_000, 3)
    assert config.default_samples == 500  # clipped to the cap
    assert config.allow_local is True and config.results_dir is None
    assert config.results_source == "org/results"
    assert SpaceConfig.from_env({}, max_samples=7).max_samples == 7
    assert SpaceConfig.from_env({}) == SpaceConfig()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INFOMEM_SPACE_MAX_SAMPLES": "lots"}, "INFOMEM_SPACE_MAX_SAMPLES must be an integer"),
        ({"INFOMEM_SPACE_CONCURRENCY": "0"}, "`concurrency` (INFOMEM_SPACE_CONCURRENCY) must be"),
        ({"INFOMEM_SPACE_ALLOW_LOCAL": "maybe"}, "INFOMEM_SPACE_ALLOW_LOCAL must be 1 or 0"),
    ],
)
def test_config_refuses_bad_values(env: dict[str, str], expected: str) -> None:
    with pytest.raises(InvalidInputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        SpaceConfig.from_env(env)
