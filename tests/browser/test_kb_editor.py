"""Browser test of the knowledge-base editor: an editor signs in, edits an article, sees the live
preview follow the typing (with an HTML probe shown as text), publishes, and asks in "coba
pertanyaan" to see the new text, all in a real uvicorn back-office. Screenshots at 360 and 1280 px
go to /tmp/shots."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from office.kb.store import load_directory, record_unanswered
from tests.backoffice_support import make_user
from tests.unit.kb_fixtures import write_articles

PROBE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module", autouse=True)
def embedding_model_env() -> Iterator[None]:
    """Point the back-office subprocess at the repository's e5 model (its own var/ is empty); set
    before the module-scoped `backoffice_server` copies os.environ."""
    from office.settings import get_settings
    from office.kb.e5_model import ensure_model

    path = str(ensure_model(Path(get_settings().embedding_model), check=False))
    old = os.environ.get("EMBEDDING_MODEL")
    os.environ["EMBEDDING_MODEL"] = path
    yield
    if old is None:
        os.environ.pop("EMBEDDING_MODEL", None)
    else:
        os.environ["EMBEDDING_MODEL"] = old


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("kata sandi uji panjang")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/staff")


def _no_horizontal_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_edit_preview_publish_and_try(backoffice_server: Any, browser_page: Any, shot: Any,
                                      tmp_path: Path) -> None:
    base, url = backoffice_server.base_url, backoffice_server.database_url
    load_directory(write_articles(tmp_path / "kb"), url=url, verbose=False)
    record_unanswered(f"jam buka kantor hari sabtu? {PROBE}", "id", "web", url)
    record_unanswered("jam buka kantor sabtu", "id", "whatsapp", url)
    make_user(url, "redaktur", "editor")
    page = browser_page
    _sign_in(page, base, "redaktur")

    page.get_by_role("link", name="Basis pengetahuan").first.click()
    page.wait_for_url(f"{base}/staff/kb")
    assert page.locator(".kb-table tbody tr").count() == 4
    shot(page, "kb-list-360", "phone")
    _no_horizontal_scroll(page, 360)
    shot(page, "kb-list-1280", "desktop")

    page.get_by_role("link", name="Biaya paspor").click()
    page.wait_for_url(f"{base}/staff/kb/biaya-paspor")
    preview = page.locator("#kb-preview")
    assert "Rp950.000" in preview.inner_text()
    editor = page.locator("#kb-markdown")
    text = editor.input_value().replace("Rp950.000", "Rp987.000")
    editor.fill(text + f"\n## Catatan uji\nUji pratinjau {PROBE} **penting**\n")
    # the preview follows the typing (debounced fetch with the CSRF header)
    expect(preview).to_contain_text("Rp987.000")
    expect(preview).to_contain_text("Uji pratinjau")
    assert PROBE in preview.inner_text()  # shown as text ...
    assert preview.locator("img").count() == 0 and preview.locator("strong", has_text="penting").count() == 1
    expect(page.locator("#kb-check")).to_contain_text("HTML")  # ... and reported as a problem
    assert page.dialogs == []
    editor.fill(text)
    expect(page.locator("#kb-check")).to_contain_text("Format benar")
    assert "Catatan uji" not in preview.inner_text()
    shot(page, "kb-edit-1280", "desktop")
    shot(page, "kb-edit-360", "phone")
    _no_horizontal_scroll(page, 360)
    page.set_viewport_size({"width": 1280, "height": 800})

    # a broken front matter is refused with the problems listed and the draft kept in the form
    editor.fill(text.replace("service: paspor", "service: visa"))
    page.get_by_role("button", name="Terbitkan").click()
    page.wait_for_selector("#save-problems")
    assert "'service' 'visa' harus salah satu dari" in page.locator("#save-problems").inner_text()
    assert "service: visa" in editor.input_value() and "Rp987.000" in editor.input_value()
    shot(page, "kb-edit-refused-360", "phone")
    _no_horizontal_scroll(page, 360)
    page.set_viewport_size({"width": 1280, "height": 800})
    editor.fill(text)
    page.get_by_label("Catatan perubahan").fill("tarif uji")
    page.get_by_role("button", name="Terbitkan").click()
    page.wait_for_url(f"{base}/staff/kb/biaya-paspor?ok=publish*")
    assert "Artikel diterbitkan" in page.locator(".alert-ok").inner_text()

    page.goto(f"{base}/staff/kb/try")
    page.get_by_role("textbox", name="Pertanyaan").fill("biaya e-paspor 10 tahun berapa")
    # the first question loads the embedding model in the back-office process: allow for it
    with page.expect_navigation(timeout=120_000):
        page.get_by_role("button", name="Tanya").click(no_wait_after=True)
    page.wait_for_selector("#kb-answer")
    answer = page.locator("#kb-answer").inner_text()
    assert "Dijawab" in answer and "Rp987.000" in answer and "Rp950.000" not in answer
    assert page.locator(".kb-hits tbody tr").first.inner_text().count("Biaya paspor") == 1
    shot(page, "kb-try-1280", "desktop")
    shot(page, "kb-try-360", "phone")
    _no_horizontal_scroll(page, 360)

    page.goto(f"{base}/staff/kb/biaya-paspor/history")
    assert page.locator(".kb-rev-live").count() == 1
    shot(page, "kb-history-360", "phone")
    _no_horizontal_scroll(page, 360)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="Bandingkan dengan versi terbit").first.click()
    page.wait_for_selector(".diff")
    assert page.locator(".diff-add", has_text="Rp987.000").count() >= 1
    shot(page, "kb-diff-360", "phone")
    _no_horizontal_scroll(page, 360)
    shot(page, "kb-diff-1280", "desktop")

    page.goto(f"{base}/staff/kb/unanswered")
    group = page.locator(".kb-group")
    assert group.count() == 1
    group.locator("summary").click()
    assert PROBE in group.inner_text() and group.locator("img").count() == 0
    shot(page, "kb-unanswered-360", "phone")
    _no_horizontal_scroll(page, 360)
    shot(page, "kb-unanswered-1280", "desktop")
    page.get_by_role("link", name="Tulis artikel untuk ini").click()
    page.wait_for_url(f"{base}/staff/kb/new?uq=*")
    assert '"jam buka kantor sabtu"' in page.locator("#kb-markdown").input_value()
    assert page.locator(".kb-questions li").count() == 2
    shot(page, "kb-new-360", "phone")
    _no_horizontal_scroll(page, 360)
    shot(page, "kb-new-1280", "desktop")
    assert page.dialogs == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
