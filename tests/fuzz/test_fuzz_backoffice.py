"""Fuzz every POST form of the back-office and the public web-chat API with malformed requests:
not one 5xx, not one changed record (tests/fuzz/snapshot.py says what is left out and why).

The routes are discovered from the app (backoffice.app.create_app), so a new form is fuzzed without
editing this file. Each request goes out as one of: nobody signed in; the admin without the CSRF token;
the admin with a valid CSRF token (the handler itself must refuse the garbage). Path parameters are a
real record's id or code, or junk. Routes whose whole job is an action on the record in their address
(logout, activate, take a chat...) act legitimately when the token is valid, so with a valid token they
are only sent junk addresses; with a real address they are sent without the token (403, nothing done).
"""
from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import office.staff as staff
from tests.backoffice_support import FakeRasa, cheap_password_hasher, login, make_user
from tests.fuzz.payloads import CONTENT_TYPES, form_request, odd_json_value, odd_text, raw_bodies
from tests.fuzz.snapshot import changed, snapshot

WIB = dt.timezone(dt.timedelta(hours=7))
FORM_EXAMPLES = 150  # per route: 28 routes -> 4,200 requests
CHAT_EXAMPLES = 500  # x 3 chat requests -> 1,500 (the channel webhooks add 4,500: tests/fuzz/test_fuzz_channels.py)
ACTION_ONLY = {"/staff/logout", "/staff/users/{user_id}/deactivate", "/staff/users/{user_id}/activate",
               "/staff/users/{user_id}/reset-password", "/staff/tickets/{code}/assign",
               "/staff/live/{live_id}/take", "/staff/live/{live_id}/return"}
FIELD_RE = re.compile(r"""(?:\.get|getlist|field|text_field)\((?:form, )?["']([a-z_]+)["']""")
ROUTES_DIR = Path(__file__).resolve().parents[2] / "backoffice"


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # FastAPI >= 0.13x keeps included routers as nodes
            yield from _walk(context.included_router.routes, prefix + context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def post_routes(app: Any) -> list[str]:
    return sorted({path for path, route in _walk(app.routes)
                   if getattr(route, "methods", None) and "POST" in route.methods})


def field_names() -> list[str]:
    """Every form field name the route modules read (so the fuzz reaches past "missing field")."""
    names: set[str] = set()
    for module in ROUTES_DIR.glob("routes_*.py"):
        names.update(FIELD_RE.findall(module.read_text(encoding="utf-8")))
    return sorted(names)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated database with an admin, an officer, tickets, a live chat and a booking; the app."""
    tmp = tmp_path_factory.mktemp("fuzz-bo")
    url = f"sqlite:///{tmp / 'office.db'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", url)
    patch.setenv("SECRET_KEY", "fuzz-test-secret-key-0123456789")
    patch.setenv("OFFICE_NOW", "2026-04-06T09:00:00")
    patch.setattr(staff, "_hasher", cheap_password_hasher())
    from office.booking.catalogue import ensure_seeded
    from office.complaints.service import file_ticket
    from office.db import migrate, session_scope
    from office.handoff import request_officer

    migrate(url)
    created = dt.datetime(2026, 4, 6, 8, 30, tzinfo=WIB)
    with session_scope(url) as s:
        codes = [file_ticket(s, description=d, sender_id=f"web:{i}", now=created).code
                 for i, d in enumerate(["Toilet kotor sekali", "Ada calo minta uang tambahan"])]
        live_id = request_officer(s, "web:live-1").id
        ensure_seeded(s)  # the services are seeded on first use: not a change the fuzz made
    password = make_user(url, "admin", staff.ADMIN, full_name="Admin Fuzz")
    make_user(url, "petugas", staff.OFFICER, unit="Tata Usaha")
    with session_scope(url) as s:
        user_ids = [u.id for u in s.query(staff.StaffUser).all()]
    with FakeRasa() as rasa:
        patch.setenv("RASA_URL", rasa.url)
        from backoffice import routes_chat
        from backoffice.app import create_app

        app = create_app()
        admin = TestClient(app, raise_server_exceptions=False)
        assert login(admin, "admin", password).status_code == 303
        anonymous = TestClient(app, raise_server_exceptions=False)
        csrf = _session_csrf(url)
        yield {"url": url, "app": app, "admin": admin, "anonymous": anonymous, "csrf": csrf,
               "real": {"code": codes, "user_id": [str(i) for i in user_ids], "live_id": [str(live_id)],
                        "article_id": ["paspor-baru-dewasa"]},
               "limiters": routes_chat.LIMITERS}
    patch.undo()


def _session_csrf(url: str) -> str:
    from office.db import session_scope

    with session_scope(url) as s:
        return s.query(staff.StaffSession).one().csrf_token


class ServerErrors(logging.Handler):
    """Collects the back-office's 'unhandled error' log records, for a readable failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def _address(path: str, real: dict[str, list[str]], draw: st.DrawFn, allow_real: bool) -> tuple[str, bool]:
    """The path with its parameters filled in, and whether it names real records."""
    is_real = True
    for name in re.findall(r"{(\w+)}", path):
        choices = real.get(name, []) if allow_real else []
        use_real = bool(choices) and draw(st.booleans())
        value = draw(st.sampled_from(choices)) if use_real else draw(
            st.one_of(st.sampled_from(["0", "-1", "99999999999999999999", "abc", "%00", "..", "ADU-2026-9999999"]),
                      odd_text.filter(lambda t: t and "/" not in t and "?" not in t and "#" not in t)))
        is_real = is_real and use_real
        path = path.replace("{" + name + "}", _quote(value))
    return path, is_real


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def test_every_staff_form_survives_malformed_posts(office: dict[str, Any]) -> None:
    routes = [p for p in post_routes(office["app"]) if not p.startswith("/chat/")]
    assert len(routes) >= 25, routes  # the discovery found the forms
    names = field_names()
    assert {"csrf_token", "text", "username", "markdown"} <= set(names) | {"csrf_token"}, names
    before = snapshot(office["url"])
    errors = ServerErrors()
    logging.getLogger().addHandler(errors)
    statuses: dict[int, int] = {}
    sent = 0
    try:
        def fuzzer(path: str):  # noqa: ANN202 - one hypothesis test per route
            @settings(max_examples=FORM_EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(data=st.data())
            def fuzz(data: st.DataObject) -> None:
                nonlocal sent
                mode = data.draw(st.sampled_from(["anonymous", "admin-no-csrf", "admin-csrf"]), label="mode")
                valid_token = mode == "admin-csrf"
                if valid_token and path == "/staff/logout":
                    mode, valid_token = "admin-no-csrf", False  # a valid logout is a logout
                address, is_real = _address(path, office["real"], data.draw,
                                            allow_real=not (valid_token and path in ACTION_ONLY))
                body, ctype = data.draw(form_request(names), label="body")
                headers = {"content-type": ctype} if ctype is not None else {}
                if valid_token:
                    headers["x-csrf-token"] = office["csrf"]
                client = office["anonymous"] if mode == "anonymous" else office["admin"]
                response = client.post(address, content=body, headers=headers, follow_redirects=False)
                sent += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, (address, mode, body[:300], ctype, errors.records[-1:])
                if not valid_token and mode != "anonymous":
                    assert response.status_code in (400, 403, 404, 405, 413), (address, body[:200], response.status_code)

            return fuzz

        for path in routes:
            fuzzer(path)()
            for limiter in office["limiters"]:
                limiter.reset()
    finally:
        logging.getLogger().removeHandler(errors)
    after = snapshot(office["url"])
    assert not changed(before, after), changed(before, after)
    assert sent >= len(routes) * FORM_EXAMPLES * 0.9
    # the admin's session survived everything (nothing logged it out or locked the account)
    assert office["admin"].get("/staff", follow_redirects=False).status_code == 200


def test_web_chat_api_survives_malformed_requests(office: dict[str, Any]) -> None:
    app_client: TestClient = office["anonymous"]
    good_token = app_client.post("/chat/session").json()["token"]
    tokens = st.one_of(st.none(), st.just(good_token), odd_text, st.just(good_token[:-2] + "xx"),
                       st.just(good_token + "." + good_token))
    before = snapshot(office["url"])
    sent = 0

    def headers_for(data: st.DataObject) -> dict[str, str]:
        headers: dict[str, str] = {}
        token = data.draw(tokens, label="token")
        if token is not None:
            headers["x-chat-token"] = bytes(c for c in token.encode("utf-8") if c > 0x20 and c != 0x7F) or b"x"
        ctype = data.draw(CONTENT_TYPES, label="ctype")
        if ctype is not None:
            headers["content-type"] = ctype
        return headers

    @settings(max_examples=CHAT_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz_send(data: st.DataObject) -> None:
        nonlocal sent
        body = data.draw(st.one_of(raw_bodies(), st.fixed_dictionaries(
            {}, optional={"message": odd_json_value, "after": odd_json_value, "sender": odd_text}).map(
            lambda d: __import__("json").dumps(d, allow_nan=True).encode())), label="body")
        for limiter in office["limiters"]:
            limiter.reset()
        response = app_client.post("/chat/send", content=body, headers=headers_for(data))
        sent += 1
        assert response.status_code < 500 or response.status_code == 503 and "sibuk" in response.text, \
            (body[:200], response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/json")

    @settings(max_examples=CHAT_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz_session_and_updates(data: st.DataObject) -> None:
        nonlocal sent
        for limiter in office["limiters"]:
            limiter.reset()
        body = data.draw(raw_bodies(), label="body")
        assert app_client.post("/chat/session", content=body, headers=headers_for(data)).status_code < 500
        after = data.draw(st.one_of(odd_text, odd_number_text()), label="after")
        response = app_client.get("/chat/updates", params={"after": after}, headers=headers_for(data))
        sent += 2
        assert response.status_code < 500, (after, response.status_code, response.text[:200])

    fuzz_send()
    fuzz_session_and_updates()
    assert sent >= CHAT_EXAMPLES * 3 * 0.9
    assert not changed(before, snapshot(office["url"]))


def odd_number_text() -> st.SearchStrategy[str]:
    return st.integers(min_value=-(2**70), max_value=2**70).map(str)


def test_route_discovery_sees_new_forms(office: dict[str, Any]) -> None:
    """The discovery is what keeps this fuzz complete: it must see forms of every staff module."""
    modules = {inspect.getmodule(route.endpoint).__name__ for _, route in _walk(office["app"].routes)
               if getattr(route, "methods", None) and "POST" in route.methods}
    assert {"backoffice.routes_users", "backoffice.routes_tickets", "backoffice.routes_kb",
            "backoffice.routes_chat", "backoffice.routes_queue"} <= modules
