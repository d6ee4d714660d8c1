"""Knowledge-base editor: article list, Markdown editor with a live preview, draft/review/publish,
revision history with diff and rollback, "coba pertanyaan" (what the bot would answer) and the
list of questions the bot could not answer.

Who may do what: editors, supervisors and administrators use every page here, and editors may
publish. The office is small and the editor is usually the person who knows the rule that changed;
waiting for a second person would keep a wrong fee online longer. Review is therefore optional:
"Kirim untuk ditinjau" stores a revision marked for review, which anyone with access can publish
from the history page. Every change is in the audit trail (who, what, which revision).

Publishing bumps the KB version; every process's KnowledgeBase (action servers, this app) sees the
new version within a second and rebuilds its index, so answers change without a restart.
A text that does not parse (office.kb.articles.parse_article) is never stored: the editor gets the
problems listed in Indonesian with the draft kept in the form, and the published version stays live.

Escaping: templates autoescape; the Markdown preview escapes the editor's text BEFORE rendering it
with the `markdown` package, so no HTML typed in the editor ever reaches the page, and link targets
other than http(s)/mailto/# are replaced.
"""
from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import frontmatter
import markdown as markdown_lib
from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from office import clock
from office.audit import record
from office.db import session_scope
from office.kb.articles import LANGUAGES, SERVICES, TOPICS, ArticleError, parse_article
from office.kb.store import (
    DiffLine, KbError, article_revisions, diff_texts, get_revision, list_articles, publish_revision, resolve_unanswered,
    rollback_to, save_revision, unanswered_groups, unanswered_items, unanswered_texts,
)
from office.settings import get_settings
from office.staff import ADMIN, EDITOR, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, read_form, text_field
from backoffice.templating import MONTHS, render, templates

log = logging.getLogger(__name__)
router = APIRouter()
KB_ROLES = (EDITOR, SUPERVISOR, ADMIN)
kb_roles = require_roles(*KB_ROLES)

MAX_MARKDOWN = 40_000
MAX_QUESTION = 500
ACTIONS = {"draft": "Simpan draf", "review": "Kirim untuk ditinjau", "publish": "Terbitkan"}
STATUS_LABELS = {"published": "Terbit", "draft": "Draf", "review": "Ditinjau", "archived": "Diarsipkan"}
LANGUAGE_LABELS = {"id": "Indonesia", "en": "Inggris"}
ANSWER_LABELS = {"answer": "Dijawab", "clarify": "Bertanya balik (klarifikasi)", "decline": "Tidak dijawab"}
MODE_LABELS = {"hybrid": "Hibrida (BM25 + embedding)", "bm25": "BM25 saja", "embeddings": "Embedding saja"}
OK_MESSAGES = {
    "draft": "Draf tersimpan. Versi yang terbit belum berubah.",
    "review": "Revisi dikirim untuk ditinjau. Versi yang terbit belum berubah.",
    "publish": "Artikel diterbitkan. Jawaban bot berubah dalam beberapa detik, tanpa restart.",
    "rollback": "Revisi lama diterbitkan kembali sebagai revisi baru.",
    "resolved": "Pertanyaan ditandai selesai.",
}
DEFAULT_OWNER = "Seksi Lalu Lintas Keimigrasian"
_SAFE_URL = re.compile(r"^(https?://|mailto:|#)", re.IGNORECASE)
_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')


# ------------------------------------------------------------------------------------------------
# Markdown preview and article templates
# ------------------------------------------------------------------------------------------------
def _body_of(text: str) -> str:
    """The article body without its front matter (best effort while the editor is typing)."""
    try:
        return frontmatter.loads(text).content
    except Exception:
        match = re.match(r"^\s*---\s*\n.*?\n---\s*\n?", text, re.DOTALL)
        return text[match.end():] if match else text


def render_preview(text: str) -> Markup:
    """The body as HTML for the preview pane. The text is HTML-escaped first, so only the tags the
    Markdown renderer itself produces can appear; unsafe link/image targets become "#"."""
    escaped = html.escape(_body_of(text), quote=True)
    rendered = markdown_lib.markdown(escaped, extensions=["sane_lists", "nl2br"], output_format="html")

    def _clean(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2)).strip()
        return f'{match.group(1)}="{match.group(2) if _SAFE_URL.match(value) else "#"}"'

    return Markup(_URL_ATTR.sub(_clean, rendered))


def check_article(text: str) -> dict[str, Any]:
    """Validation result for the preview: problems (would block saving), warnings, title, sections."""
    try:
        art = parse_article(text)
    except ArticleError as exc:
        return {"ok": False, "problems": list(exc.problems), "warnings": [], "title": "", "sections": []}
    return {"ok": True, "problems": [], "warnings": list(art.warnings), "title": art.title,
            "sections": [{"heading": s.heading or "Paragraf pembuka", "chars": len(s.text)} for s in art.sections]}


def _yaml_str(value: str) -> str:
    """A YAML scalar for any text (JSON strings are valid YAML double-quoted scalars)."""
    return json.dumps(value, ensure_ascii=False)


def article_template(topic: str, language: str, questions: list[str], owner: str) -> str:
    """The starting text of a new article: every front-matter key of the format, today's date and
    the example questions given; the body has the headings to fill in. Left-empty parts fail
    validation with a clear message, so an unfinished template cannot be published."""
    art_id = "" if not topic else (topic if language == "id" else f"{topic}-en")
    service = "izin-tinggal" if topic in ("voa-evoa", "biaya-itk", "itas", "itap", "overstay",
                                          "izin-masuk-kembali", "affidavit-anak-ganda", "splp", "lapor-wna") \
        else "paspor"
    q_lines = "".join(f"  - {_yaml_str(q)}\n" for q in questions) or "  - \n"
    headings = ("Requirements", "Fees", "Steps") if language == "en" else ("Persyaratan", "Biaya", "Langkah")
    body = "".join(f"\n## {h}\n\n" for h in headings)
    return (f"---\nid: {art_id}\ntopic: {topic}\ntitle: \nservice: {service}\nlanguage: {language}\n"
            f"tags: []\nquestions:\n{q_lines}sources:\n  - \nupdated: {clock.today().isoformat()}\n"
            f"owner: {_yaml_str(owner)}\nlink: \nrelated: []\n---\n{body}")


def add_example_questions(text: str, questions: list[str]) -> str:
    """Append `questions` to the article's `questions:` block list (keeping the rest of the text as
    written). Questions already present are skipped; a flow-style list is left for the editor."""
    match = re.search(r"^questions:[ \t]*\n((?:[ \t]+-.*\n?)*)", text, re.MULTILINE)
    if match is None:
        return text
    existing = match.group(1)
    new = [q for q in questions if q not in existing]
    if not new:
        return text
    indent = re.match(r"[ \t]+", existing).group(0) if existing else "  "  # type: ignore[union-attr]
    block = existing if existing.endswith("\n") or not existing else existing + "\n"
    block += "".join(f"{indent}- {_yaml_str(q)}\n" for q in new)
    return text[:match.start(1)] + block + text[match.end(1):]


def kb_date(value: str) -> str:
    """An article's `updated` (YYYY-MM-DD) as `7 Desember 2026`; other text is shown as it is."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return value or "-"
    return f"{int(match.group(3))} {MONTHS[int(match.group(2)) - 1]} {match.group(1)}"


templates.env.filters["kb_date"] = kb_date


def _ids(value: str) -> list[int]:
    return [int(v) for v in re.split(r"[,\s]+", value or "") if v.isdigit()][:100]


# ------------------------------------------------------------------------------------------------
# List
# ------------------------------------------------------------------------------------------------
@router.get("/staff/kb")
def kb_list(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Articles with title, topic, language, status, last update and owner; search and filters.
    The status filter also matches published articles with an unfinished draft/review revision."""
    params = request.query_params
    q = params.get("q", "").strip()[:100]
    status = params.get("status", "") if params.get("status", "") in STATUS_LABELS else ""
    language = params.get("language", "") if params.get("language", "") in LANGUAGES else ""
    url = get_settings().database_url
    rows = list_articles(url)
    total = len(rows)
    if status:
        rows = [r for r in rows if r.status == status or r.pending == status]
    if language:
        rows = [r for r in rows if r.language == language]
    if q:
        needle = q.lower()
        rows = [r for r in rows if needle in f"{r.id} {r.title} {r.topic} {r.owner} {r.text}".lower()]
    open_questions = sum(len(g.items) for g in unanswered_groups(url))
    return render(request, "kb_list.html", {
        "rows": rows, "total": total, "q": q, "status": status, "language": language,
        "status_labels": STATUS_LABELS, "language_labels": LANGUAGE_LABELS, "open_questions": open_questions})


# ------------------------------------------------------------------------------------------------
# Preview (fetch from kb_editor.js with the X-CSRF-Token header)
# ------------------------------------------------------------------------------------------------
@router.post("/staff/kb/preview")
async def kb_preview(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Sanitized HTML of the body plus the validation result, as JSON."""
    text = ""
    if request.headers.get("content-type", "").lower().startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            data = {}
        text = data.get("markdown", "") if isinstance(data, dict) else ""
    else:
        form = await read_form(request)
        value = form.get("markdown", "")
        text = value if isinstance(value, str) else ""
    if not isinstance(text, str) or len(text) > MAX_MARKDOWN:
        return JSONResponse({"error": f"Teks artikel terlalu panjang (maksimal {MAX_MARKDOWN} karakter)."},
                            status_code=400)
    return JSONResponse({"html": str(render_preview(text)), **check_article(text)})


# ------------------------------------------------------------------------------------------------
# "Coba pertanyaan": what the bot would answer, with the ranking behind it
# ------------------------------------------------------------------------------------------------
def _ask(question: str, lang: str, mode: str) -> dict[str, Any]:
    from office.kb.search import get_knowledge_base

    kb = get_knowledge_base(get_settings().database_url)
    search_mode: Any = mode if mode in MODE_LABELS else "hybrid"
    hits = kb.search(question, lang=lang, k=5, mode=search_mode)
    answer = kb.answer(question, lang, mode=search_mode)
    return {"hits": hits, "answer": answer, "kb_version": kb.version}


@router.get("/staff/kb/try")
def kb_try(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Ranked topics (fused score, best cosine, best BM25, chosen section) and the bot's answer for a
    question, from the same KnowledgeBase code the action server uses."""
    params = request.query_params
    question = params.get("q", "").strip()[:MAX_QUESTION]
    lang = "en" if params.get("lang") == "en" else "id"
    mode = params.get("mode", "hybrid") if params.get("mode", "hybrid") in MODE_LABELS else "hybrid"
    result: dict[str, Any] = {}
    error = ""
    if question:
        try:
            result = _ask(question, lang, mode)
        except Exception:  # the model or the index failing must not hide the page
            log.exception("coba pertanyaan failed")
            error = "Mesin pencarian tidak dapat dijalankan saat ini. Coba lagi sebentar lagi atau hubungi administrator."
    return render(request, "kb_try.html", {
        "question": question, "lang": lang, "mode": mode, "modes": MODE_LABELS, "error": error,
        "answer_labels": ANSWER_LABELS, **result})


# ------------------------------------------------------------------------------------------------
# Unanswered questions
# ------------------------------------------------------------------------------------------------
@router.get("/staff/kb/unanswered")
def kb_unanswered(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Declined questions grouped by similarity (see office.kb.store.unanswered_groups)."""
    show_done = request.query_params.get("selesai") == "1"
    groups = unanswered_groups(get_settings().database_url, include_resolved=show_done)
    return render(request, "kb_unanswered.html", {
        "groups": groups, "show_done": show_done, "ok": OK_MESSAGES.get(request.query_params.get("ok", ""), "")})


@router.post("/staff/kb/unanswered/resolve")
async def kb_unanswered_resolve(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Mark a group of questions as handled ("tandai selesai")."""
    form = await read_form(request)
    ids = _ids(str(form.get("ids", "")))
    if not ids:
        raise HTTPException(status_code=400)
    url = get_settings().database_url

    def work() -> None:
        done = resolve_unanswered(ids, staff.username, url=url)
        with session_scope(url) as db:
            record(db, staff.username, "kb_unanswered_resolved", target="unanswered",
                   detail={"questions": ids, "count": done}, ip=client_ip(request))

    await run_in_threadpool(work)
    return RedirectResponse("/staff/kb/unanswered?ok=resolved", status_code=303)


# ------------------------------------------------------------------------------------------------
# Editor: new and existing articles
# ------------------------------------------------------------------------------------------------
@dataclass
class EditorState:
    article_id: str | None
    text: str
    note: str = ""
    resolves: str = ""
    problems: tuple[str, ...] = ()
    error: str = ""
    notice: str = ""


def _editor_page(request: Request, state: EditorState, status_code: int = 200, **extra: Any) -> Response:
    url = get_settings().database_url
    summary = None
    if state.article_id:
        summary = next((r for r in list_articles(url) if r.id == state.article_id), None)
    ctx = {
        "state": state, "summary": summary, "preview": render_preview(state.text), "check": check_article(state.text),
        "actions": ACTIONS, "ok": OK_MESSAGES.get(request.query_params.get("ok", ""), ""),
        "status_labels": STATUS_LABELS, "language_labels": LANGUAGE_LABELS,
        "form_action": f"/staff/kb/{state.article_id}" if state.article_id else "/staff/kb/new",
        "topics": TOPICS, "services": SERVICES, "version": request.query_params.get("v", ""),
    }
    ctx.update(extra)
    return render(request, "kb_edit.html", ctx, status_code=status_code)


@router.get("/staff/kb/new")
def kb_new(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """A new article from the template; `uq` (unanswered ids) prefills the example questions, and
    `topic`/`language` fill id/topic. An existing topic+language sends the editor to that article."""
    params = request.query_params
    url = get_settings().database_url
    uq = _ids(params.get("uq", ""))
    items = unanswered_items(uq, url) if uq else []
    questions = [item.text for item in items]
    topic = params.get("topic", "") if params.get("topic", "") in TOPICS else ""
    language = params.get("language", "")
    if language not in LANGUAGES:  # questions asked in English suggest the English version
        language = "en" if items and all(item.language == "en" for item in items) else "id"
    existing = {(r.topic, r.language): r.id for r in list_articles(url)}
    if topic and (topic, language) in existing:
        target = f"/staff/kb/{existing[(topic, language)]}"
        if uq:
            target += "?" + urlencode({"uq": ",".join(map(str, uq))})
        return RedirectResponse(target, status_code=303)
    text = article_template(topic, language, questions, staff.unit or DEFAULT_OWNER)
    missing = [t for t in TOPICS if (t, "id") not in existing]  # every topic needs an Indonesian article
    return _editor_page(request, EditorState(article_id=None, text=text, resolves=",".join(map(str, uq))),
                        questions=questions, topic=topic, language=language, missing=missing)


@router.get("/staff/kb/{article_id}")
def kb_edit(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """The editor for one article: the newest unfinished revision if there is one, else the live
    text; `rev` opens a given revision, `uq` appends unanswered questions as example questions."""
    url = get_settings().database_url
    revisions = article_revisions(article_id, url)
    if not revisions:
        raise HTTPException(status_code=404)
    params = request.query_params
    wanted = _ids(params.get("rev", ""))
    notice = ""
    chosen = next((r for r in revisions if wanted and r.id == wanted[0]), None)
    if chosen is None:
        live = next((r for r in revisions if r.live), None)
        chosen = revisions[0] if revisions[0].state in ("draft", "review") and not revisions[0].live else live
        chosen = chosen or revisions[0]
    if not chosen.live:
        notice = (f"Anda membuka revisi {chosen.id} ({STATUS_LABELS.get(chosen.state, chosen.state).lower()}, "
                  f"oleh {chosen.author}); versi yang terbit belum berubah.")
    text = chosen.markdown
    uq = _ids(params.get("uq", ""))
    questions = unanswered_texts(uq, url) if uq else []
    if questions:
        text = add_example_questions(text, questions)
        notice = (notice + " " if notice else "") + \
            f"{len(questions)} pertanyaan yang belum terjawab ditambahkan ke 'questions'. Periksa, lalu simpan."
    return _editor_page(request, EditorState(article_id=article_id, text=text, resolves=",".join(map(str, uq)),
                                             notice=notice), questions=questions)


async def _save(request: Request, staff: StaffContext, expected_id: str | None) -> Response:
    form = await read_form(request)
    action = form.get("action", "draft")
    action = action if isinstance(action, str) and action in ACTIONS else "draft"
    try:
        text = text_field(form, "markdown", "Teks artikel", MAX_MARKDOWN, strip=False).replace("\r\n", "\n")
        note = text_field(form, "note", "Catatan perubahan", 300)
        resolves = text_field(form, "resolves", "Pertanyaan", 1000)
    except FormError as exc:
        return _editor_page(request, EditorState(article_id=expected_id, text="", error=str(exc)), status_code=400)
    state = EditorState(article_id=expected_id, text=text, note=note, resolves=resolves)
    url = get_settings().database_url

    def work() -> tuple[str, int, int | None]:
        art = parse_article(text)
        if expected_id is not None and art.id != expected_id:
            raise KbError(f"'id' di front matter harus {expected_id!r} (artikel yang sedang disunting), "
                          f"bukan {art.id!r}. Untuk topik lain, buat artikel baru.")
        if expected_id is None and art.id in {r.id for r in list_articles(url)}:
            raise KbError(f"artikel {art.id!r} sudah ada; sunting artikel itu melalui daftar artikel.")
        rev_id = save_revision(text, staff.username, state="review" if action == "publish" else action,
                               note=note, url=url)
        version = publish_revision(rev_id, url=url) if action == "publish" else None
        uq = _ids(resolves) if action == "publish" else []
        done = resolve_unanswered(uq, staff.username, article_id=art.id, url=url) if uq else 0
        with session_scope(url) as db:
            record(db, staff.username, {"draft": "kb_draft_saved", "review": "kb_review_requested",
                                        "publish": "kb_published"}[action],
                   target=art.id, detail={"revision": rev_id, "note": note, "kb_version": version},
                   ip=client_ip(request))
            if uq:
                record(db, staff.username, "kb_unanswered_resolved", target=art.id,
                       detail={"questions": uq, "count": done}, ip=client_ip(request))
        return art.id, rev_id, version

    try:
        article_id, rev_id, version = await run_in_threadpool(work)
    except ArticleError as exc:
        state.problems = tuple(exc.problems)
        return await run_in_threadpool(_editor_page, request, state, 422)
    except KbError as exc:
        state.problems = (str(exc),)
        return await run_in_threadpool(_editor_page, request, state, 422)
    query = {"ok": action, "rev": rev_id}
    if version is not None:
        query = {"ok": action, "v": version}
    return RedirectResponse(f"/staff/kb/{quote(article_id)}?{urlencode(query)}", status_code=303)


@router.post("/staff/kb/new")
async def kb_create(request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    return await _save(request, staff, None)


@router.post("/staff/kb/{article_id}")
async def kb_update(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    if not await run_in_threadpool(article_revisions, article_id, get_settings().database_url):
        raise HTTPException(status_code=404)
    return await _save(request, staff, article_id)


# ------------------------------------------------------------------------------------------------
# History, diff, publish a revision, rollback
# ------------------------------------------------------------------------------------------------
@router.get("/staff/kb/{article_id}/history")
def kb_history(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    revisions = article_revisions(article_id, get_settings().database_url)
    if not revisions:
        raise HTTPException(status_code=404)
    live = next((r for r in revisions if r.live), None)
    return render(request, "kb_history.html", {
        "article_id": article_id, "revisions": revisions, "live": live, "status_labels": STATUS_LABELS,
        "ok": OK_MESSAGES.get(request.query_params.get("ok", ""), ""),
        "error": request.query_params.get("error", "")[:300]})


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _readable_hunk(line: DiffLine) -> DiffLine:
    """`@@ -19,10 +19,10 @@` -> `Mulai baris 19 (lama) / 19 (baru)` for staff."""
    match = _HUNK.match(line.text) if line.kind == "hunk" else None
    if match is None:
        return line
    return DiffLine("hunk", f"Mulai baris {match.group(1)} (lama) / {match.group(2)} (baru)")


@router.get("/staff/kb/{article_id}/diff")
def kb_diff(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Unified diff of revision `rev` against `against` (default: the published revision)."""
    url = get_settings().database_url
    revisions = article_revisions(article_id, url)
    if not revisions:
        raise HTTPException(status_code=404)
    by_id = {r.id: r for r in revisions}
    live = next((r for r in revisions if r.live), None)
    rev_ids = _ids(request.query_params.get("rev", ""))
    against_ids = _ids(request.query_params.get("against", ""))
    rev = by_id.get(rev_ids[0]) if rev_ids else revisions[0]
    base = by_id.get(against_ids[0]) if against_ids else live
    if rev is None or base is None:
        raise HTTPException(status_code=404)
    lines = [_readable_hunk(ln) for ln in diff_texts(base.markdown, rev.markdown)]
    return render(request, "kb_diff.html", {
        "article_id": article_id, "rev": rev, "base": base, "lines": lines, "revisions": revisions,
        "added": sum(1 for ln in lines if ln.kind == "add"), "removed": sum(1 for ln in lines if ln.kind == "del"),
        "status_labels": STATUS_LABELS})


async def _revision_action(request: Request, staff: StaffContext, article_id: str, kind: str) -> Response:
    form = await read_form(request)
    ids = _ids(str(form.get("revision_id", "")))
    url = get_settings().database_url
    rev = await run_in_threadpool(get_revision, ids[0], url) if ids else None
    if rev is None or rev.article_id != article_id:
        raise HTTPException(status_code=404)

    def work() -> None:
        if kind == "publish":
            if rev.state == "published":
                raise KbError(f"revisi {rev.id} pernah terbit; gunakan 'Kembalikan' untuk menerbitkannya lagi")
            version = publish_revision(rev.id, url=url)
            detail: dict[str, Any] = {"revision": rev.id, "kb_version": version}
            action = "kb_revision_published"
        else:
            new_id, version = rollback_to(rev.id, staff.username, url=url)
            detail = {"from_revision": rev.id, "revision": new_id, "kb_version": version}
            action = "kb_rollback"
        with session_scope(url) as db:
            record(db, staff.username, action, target=article_id, detail=detail, ip=client_ip(request))

    try:
        await run_in_threadpool(work)
    except ArticleError as exc:
        message = "Revisi ini tidak lolos pemeriksaan format: " + "; ".join(exc.problems)
        return RedirectResponse(f"/staff/kb/{quote(article_id)}/history?{urlencode({'error': message[:300]})}",
                                status_code=303)
    except KbError as exc:
        return RedirectResponse(f"/staff/kb/{quote(article_id)}/history?{urlencode({'error': str(exc)[:300]})}",
                                status_code=303)
    return RedirectResponse(f"/staff/kb/{quote(article_id)}/history?ok={'publish' if kind == 'publish' else 'rollback'}",
                            status_code=303)


@router.post("/staff/kb/{article_id}/publish")
async def kb_publish_revision(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Publish a draft or review revision as it is (e.g. after reviewing it)."""
    return await _revision_action(request, staff, article_id, "publish")


@router.post("/staff/kb/{article_id}/rollback")
async def kb_rollback(article_id: str, request: Request, staff: StaffContext = Depends(kb_roles)) -> Response:
    """Publish an older revision's text again as a new revision."""
    return await _revision_action(request, staff, article_id, "rollback")
