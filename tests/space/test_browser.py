"""The app in a real browser: headless Debian Chromium driven by playwright's Python API.

Set INFOMEM_SPACE_SCREENSHOT=docs/space.png to also write the README's screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spacekit import LaunchedApp, factories_texts

import factories

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run"]
WAIT_MS = 180_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} missing: apt-get install chromium chromium-driver"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, app: LaunchedApp) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app.url)
    page.wait_for_selector("#score-button", timeout=60_000)
    yield page
    context.close()


def _fill(page: Any, elem_id: str, value: str) -> None:
    """Type into a box. Tests choose a form's source first and type afterwards: a box typed
    into just before the source's layout change, or just after its accordion opened, lost
    its text (the compare test: 2 of 6 local runs before it waited for the accordion, then
    one CI run)."""
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def _toast(page: Any, text: str) -> str:
    toast = page.locator("[data-testid='toast-text']", has_text=text).first
    toast.wait_for(timeout=WAIT_MS)
    return str(toast.inner_text())


def test_score_the_default_model_and_screenshot(page: Any, tmp_path: Path) -> None:
    _fill(page, "score-max-samples", "300")
    page.click("#score-button")
    page.wait_for_selector("#score-plot img", timeout=WAIT_MS)
    headline = page.inner_text("#score-headline")
    assert "sentence-transformers/all-MiniLM-L6-v2" in headline
    assert "mean entropy" in headline and "S = 300 examples" in headline
    assert "infomem card sentence-transformers/all-MiniLM-L6-v2" in page.content()
    shot = tmp_path / "space.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    target = os.environ.get("INFOMEM_SPACE_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)


def test_bad_inputs_show_clear_messages(page: Any, app: LaunchedApp, tmp_path: Path) -> None:
    _fill(page, "score-model", "nope/not-a-model")
    page.click("#score-button")
    assert "'nope/not-a-model'" in _toast(page, "nope/not-a-model")

    page.locator("#score-source").get_by_label("Pasted lines").check()
    _fill(page, "score-model", "")
    page.click("#score-button")
    _toast(page, "The pasted text is empty")

    table = tmp_path / "rows.csv"
    table.write_text("id,body\n1,the good film\n2,a bad movie\n", encoding="utf-8")
    page.locator("#score-source").get_by_label("Uploaded file").check()
    page.locator("#score-file input[type='file']").set_input_files(str(table))
    _fill(page, "score-model", str(app.models["bert"]))
    _fill(page, "score-column", "text")
    page.click("#score-button")
    message = _toast(page, "Column 'text' is not in")
    assert "id, body" in message

    page.locator("#score-source").get_by_label("Bundled sample").check()
    _fill(page, "score-revision", "v1")  # the Revision box reaches the loader
    page.click("#score-button")
    assert "a folder has no revisions" in _toast(page, "no revisions")


def test_compare_two_models_with_extrinsic_values(page: Any, app: LaunchedApp,
                                                  tmp_path: Path) -> None:
    a, b = str(app.models["bert"]), str(app.models["bert2"])
    values = f"{a} = 0.9\n{b} = 0.7"
    page.get_by_role("tab", name="Compare").click()
    page.get_by_text("Extrinsic values: agree the ranking with a metric").click()
    extrinsic = page.locator("#compare-extrinsic textarea")
    extrinsic.wait_for(state="visible", timeout=WAIT_MS)  # the accordion has opened
    # The accordion's box is typed into last, after the source (see _fill).
    page.locator("#compare-source").get_by_label("Pasted lines").check()
    _fill(page, "compare-texts", "\n".join(factories_texts(60, seed=8)))
    _fill(page, "compare-max-samples", "60")
    _fill(page, "compare-model-ids", f"{a}\n{b}")
    _fill(page, "compare-extrinsic", values)
    assert extrinsic.input_value() == values
    page.click("#compare-button")
    page.wait_for_selector("#compare-plot img", timeout=WAIT_MS)
    summary = page.inner_text("#compare-summary")
    assert "Kendall's tau between each score and the extrinsic values" in summary
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)


def test_leaderboard_tab_lists_the_results(page: Any) -> None:
    page.get_by_role("tab", name="Leaderboard").click()
    page.get_by_text("3 results.").wait_for(timeout=60_000)
    assert "Skipped 2 file(s) that are not infomem results" in page.content()
    grid = page.locator("#leaderboard-table [role='grid']")
    assert grid.get_attribute("aria-rowcount") == "4"  # the header and three results
    assert grid.locator("text=BertModel >> visible=true").count() == 3


def test_score_with_unit_mem_shows_its_tables(page: Any, app: LaunchedApp) -> None:
    page.locator("#score-source").get_by_label("Pasted lines").check()
    _fill(page, "score-texts", "\n".join(factories_texts(40, seed=9)))
    _fill(page, "score-model", str(app.models["bert"]))
    _fill(page, "score-max-samples", "40")
    page.click("#score-button")
    page.wait_for_selector("#score-plot img", timeout=WAIT_MS)
    page.wait_for_timeout(1000)  # the silent stop of the UnitMem step has run by now
    assert page.locator("[data-testid='toast-text']").count() == 0
    assert page.locator("#score-unit-mem-headline").is_hidden()  # not asked for

    page.locator("#score-unit-mem input[type='checkbox']").check()
    page.click("#score-button")
    page.get_by_text("UnitMem of").wait_for(timeout=WAIT_MS)
    assert "Caveat" in page.inner_text("#score-unit-mem-headline")
    layers = page.locator("#score-unit-mem-layers")
    layers.get_by_text("encoder.layer.1.intermediate.intermediate_act_fn").first.wait_for(
        timeout=WAIT_MS)


def test_extraction_tab_shows_the_per_text_table(page: Any, app: LaunchedApp) -> None:
    page.get_by_role("tab", name="Extraction").click()
    _fill(page, "extract-model", str(app.models["gpt2"]))
    texts = factories_texts(20, seed=10)
    _fill(page, "extract-texts", "\n".join(texts))
    _fill(page, "extract-reference", "\n".join(factories_texts(15, seed=11)))
    _fill(page, "extract-prefix-tokens", "3")
    _fill(page, "extract-suffix-tokens", "3")
    page.click("#extract-button")
    page.get_by_text("texts extracted").wait_for(timeout=WAIT_MS)
    assert "Membership test" in page.inner_text("#extract-headline")
    table = page.locator("#extract-table")
    table.get_by_text("reference").first.wait_for(timeout=WAIT_MS)
    assert table.get_by_text("candidate").count() >= 1


def test_extraction_tab_compares_the_activations_when_ticked(page: Any, app: LaunchedApp) -> None:
    page.get_by_role("tab", name="Extraction").click()
    _fill(page, "extract-model", str(app.models["memorized"]))
    _fill(page, "extract-texts", "\n".join(factories.random_texts(24)))
    _fill(page, "extract-prefix-tokens", "6")
    _fill(page, "extract-suffix-tokens", "6")
    page.locator("#extract-activations input[type='checkbox']").check()
    page.click("#extract-button")
    page.get_by_text("Activations of extracted vs other candidates").wait_for(timeout=WAIT_MS)
    headline = page.locator("#extract-headline")
    assert "12 of 24 texts extracted" in headline.inner_text()
    assert headline.locator("table").get_by_text("Not extracted").count() == 1


def test_extraction_tab_refuses_the_encoder_default(page: Any) -> None:
    page.get_by_role("tab", name="Extraction").click()
    _fill(page, "extract-texts", "the good film was fun")
    page.click("#extract-button")
    assert "Extraction needs a causal LM" in _toast(page, "causal LM")
