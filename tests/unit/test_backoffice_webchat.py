"""The web-chat API (session token, send, updates, CORS) and the page, against a real fake-Rasa server."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from backoffice import routes_chat
from backoffice.webchat_access import TOKEN_HEADER, issue_token, normalise_origin, read_token
from backoffice.webchat_transcript import clean_messages, items_after, transcript_items
from tests.backoffice_support import FakeRasa, create_schema

SECRET = "unit-test-secret-key-0123456789"
HOST_SITE = "https://kotabumi.imigrasi.example"


@pytest.fixture()
def rasa():
    with FakeRasa() as server:
        server.token = "rasa-api-token"
        yield server


@pytest.fixture()
def client(tmp_path, monkeypatch, rasa):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("RASA_URL", rasa.url)
    monkeypatch.setenv("RASA_TOKEN", "rasa-api-token")
    monkeypatch.setenv("WEBCHAT_ALLOWED_ORIGINS", f" {HOST_SITE}/ , https://www.example.go.id:8443")
    create_schema(url)
    for limiter in routes_chat.LIMITERS:
        limiter.reset()
    from backoffice.app import create_app

    return TestClient(create_app())


def new_token(client: TestClient) -> str:
    response = client.post("/chat/session")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    return response.json()["token"]


def send(client: TestClient, token: str | None, message, after=0, **headers):
    if token:
        headers[TOKEN_HEADER] = token
    return client.post("/chat/send", json={"message": message, "after": after}, headers=headers)


def test_page_embeds_the_widget_full_page(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<title>Asisten Virtual Kantor Imigrasi" in html
    assert "Kantor Imigrasi Kelas II Non TPI Kotabumi" in html
    assert '<script src="/widget.js" data-office-chat data-lang="id" data-target="#chat-mount" defer>' in html
    assert 'id="chat-mount"' in html and "<noscript>" in html
    assert "set-cookie" not in page.headers  # no cookie any more: the widget holds a token
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the page CSP is unchanged


def test_office_name_falls_back_when_the_profile_is_broken(client, monkeypatch, tmp_path):
    broken = tmp_path / "profile.yml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    monkeypatch.setenv("OFFICE_PROFILE", str(broken))
    page = client.get("/")
    assert page.status_code == 200 and "Layanan informasi keimigrasian" in page.text


def test_widget_script_is_served_as_javascript(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=300" in response.headers["cache-control"]
    assert "attachShadow" in response.text and "innerHTML" not in response.text.replace("never innerHTML", "")


def test_session_token_names_a_server_chosen_conversation(client):
    token = new_token(client)
    conversation = read_token(SECRET, token)
    uuid.UUID(conversation)
    assert read_token(SECRET, new_token(client)) != conversation  # every new visitor: a new conversation
    # with a valid token: a fresh token for the same conversation
    again = client.post("/chat/session", headers={TOKEN_HEADER: token}).json()["token"]
    assert read_token(SECRET, again) == conversation


def test_send_relays_with_the_sender_from_the_token_and_returns_the_transcript(client, rasa):
    token = new_token(client)
    conversation = read_token(SECRET, token)
    response = send(client, token, "  halo  ", sender="whatsapp:+628123")
    assert response.status_code == 200
    data = response.json()
    assert rasa.requests[0]["body"] == {"sender": f"web:{conversation}", "message": "halo"}
    assert data["messages"] == [
        {"id": 1, "kind": "user", "text": "halo"},
        {"id": 2, "kind": "bot", "text": "Halo Bapak/Ibu, ada yang bisa kami bantu?",
         "buttons": [{"title": "Paspor baru", "payload": "/tanya_paspor_baru"},
                     {"title": "Jam layanan", "payload": "/tanya_jam_layanan"}]},
    ]
    assert data["cursor"] == 2
    # a button payload: sent as is, shown back with the button's title
    data = send(client, token, "/tanya_paspor_baru", after=2).json()
    assert rasa.requests[-2]["body"] == {"sender": f"web:{conversation}", "message": "/tanya_paspor_baru"}
    assert data["messages"] == [
        {"id": 3, "kind": "user", "text": "Paspor baru"},
        {"id": 4, "kind": "bot", "text": "Pendaftaran paspor baru dilakukan melalui aplikasi M-Paspor."},
        {"id": 5, "kind": "bot", "image": "https://example.org/alur-paspor.png"},
    ]
    assert data["cursor"] == 5


def test_updates_bring_pushed_messages_and_the_whole_history(client, rasa):
    token = new_token(client)
    sender = "web:" + read_token(SECRET, token)
    cursor = send(client, token, "halo").json()["cursor"]
    quiet = client.get(f"/chat/updates?after={cursor}", headers={TOKEN_HEADER: token}).json()
    assert quiet == {"messages": [], "cursor": cursor, "reset": False}
    # the worker relays an officer reply through trigger_intent: it appears, the internal event does not
    rasa.add_events(sender, [{"event": "user", "text": "EXTERNAL: EXTERNAL_office_message",
                              "parse_data": {"intent": {"name": "EXTERNAL_office_message"}}},
                             {"event": "action", "name": "action_relay"},
                             {"event": "bot", "text": "Balasan petugas: berkas sudah diterima.", "data": {}}])
    pushed = client.get(f"/chat/updates?after={cursor}", headers={TOKEN_HEADER: token}).json()
    assert pushed["messages"] == [{"id": 5, "kind": "bot", "text": "Balasan petugas: berkas sudah diterima."}]
    assert pushed["cursor"] == 5
    history = client.get("/chat/updates?after=0", headers={TOKEN_HEADER: token}).json()
    assert [m["kind"] for m in history["messages"]] == ["user", "bot", "bot"]
    # a cursor beyond the conversation (tracker store replaced): everything again, flagged as a reset
    reset = client.get("/chat/updates?after=99", headers={TOKEN_HEADER: token}).json()
    assert reset["reset"] is True and len(reset["messages"]) == 3 and reset["cursor"] == 5
    # another visitor sees nothing of it
    other = client.get("/chat/updates?after=0", headers={TOKEN_HEADER: new_token(client)}).json()
    assert other["messages"] == []


@pytest.mark.parametrize("token", [None, "", "forged", "x" * 400])
def test_missing_or_bad_token_is_refused_politely_and_nothing_is_sent(client, rasa, token):
    response = send(client, token, "halo")
    assert response.status_code == 401 and "Sesi percakapan" in response.json()["error"]
    headers = {TOKEN_HEADER: token} if token else {}
    assert client.get("/chat/updates?after=0", headers=headers).status_code == 401
    assert rasa.requests == []


def test_token_signed_with_another_key_or_expired_is_refused(client, rasa):
    foreign = issue_token("some-other-secret-key-123456", str(uuid.uuid4()))
    assert send(client, foreign, "halo").status_code == 401
    old = URLSafeTimedSerializer(SECRET, salt="webchat-session")
    import time as _time
    real_time = _time.time
    try:
        _time.time = lambda: real_time() - 31 * 24 * 3600  # signed 31 days ago
        expired = old.dumps(str(uuid.uuid4()))
    finally:
        _time.time = real_time
    assert read_token(SECRET, expired) is None
    assert send(client, expired, "halo").status_code == 401
    assert rasa.requests == []


@pytest.mark.parametrize(
    "body, status, text",
    [
        ({"message": ""}, 400, "tuliskan pesan"),
        ({"message": "   \n\t "}, 400, "tuliskan pesan"),
        ({}, 400, "tuliskan pesan"),
        ({"message": "x" * 4001}, 400, "maksimal 4.000 karakter"),
        ({"message": 5}, 400, "tidak dapat dibaca"),
        ({"message": "halo", "after": -1}, 400, "tidak dapat dibaca"),
        ({"message": "halo", "after": "abc"}, 400, "tidak dapat dibaca"),
        ({"message": "halo", "after": True}, 400, "tidak dapat dibaca"),
    ],
)
def test_invalid_messages_get_a_polite_400(client, rasa, body, status, text):
    token = new_token(client)
    response = client.post("/chat/send", json=body, headers={TOKEN_HEADER: token})
    assert response.status_code == status
    assert text in response.json()["error"]
    assert rasa.requests == []


def test_oversize_body_is_refused_with_a_readable_413_for_an_allowed_site(client, rasa):
    token = new_token(client)
    response = client.post("/chat/send", content=b'{"message": "' + b"x" * 70_000 + b'"}',
                           headers={TOKEN_HEADER: token, "Content-Type": "application/json", "Origin": HOST_SITE})
    assert response.status_code == 413 and "maksimal 4.000 karakter" in response.json()["error"]
    assert response.headers["access-control-allow-origin"] == HOST_SITE
    assert rasa.requests == []


def test_longest_allowed_message_passes(client, rasa):
    assert send(client, new_token(client), "y" * 4000).status_code == 200
    assert len(rasa.requests[0]["body"]["message"]) == 4000


def test_bad_updates_cursor_is_refused(client):
    token = new_token(client)
    for after in ("-1", "abc", "1" * 12):
        assert client.get(f"/chat/updates?after={after}", headers={TOKEN_HEADER: token}).status_code == 400


def test_non_json_posts_are_refused(client, rasa):
    response = client.post("/chat/send", data={"message": "halo"}, headers={TOKEN_HEADER: new_token(client)})
    assert response.status_code == 415
    assert rasa.requests == []


def test_cors_allows_only_configured_sites_and_the_back_office_itself(client, rasa):
    preflight = client.options("/chat/send", headers={
        "Origin": HOST_SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-chat-token"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == HOST_SITE
    assert TOKEN_HEADER in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers  # no cookies cross sites
    token = client.post("/chat/session", headers={"Origin": HOST_SITE})
    assert token.status_code == 200 and token.headers["access-control-allow-origin"] == HOST_SITE
    assert token.headers["vary"] == "Origin"
    ok = send(client, token.json()["token"], "halo", Origin=HOST_SITE)
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == HOST_SITE
    # a configured origin with its port; the back-office's own origin
    assert client.post("/chat/session", headers={"Origin": "https://www.example.go.id:8443"}).status_code == 200
    assert client.post("/chat/session", headers={"Origin": "http://testserver"}).status_code == 200
    sent_before = len(rasa.requests)
    for origin in ("https://evil.example", "http://kotabumi.imigrasi.example", "https://www.example.go.id",
                   "null", "https://kotabumi.imigrasi.example.evil.example"):
        refused = client.options("/chat/send", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
        cross = send(client, token.json()["token"], "halo", Origin=origin)
        assert cross.status_code == 403 and "tidak diizinkan" in cross.json()["error"]
        assert client.post("/chat/session", headers={"Origin": origin}).status_code == 403
    assert len(rasa.requests) == sent_before
    # staff pages are not opened up by any of this
    staff = client.get("/staff/login", headers={"Origin": HOST_SITE})
    assert "access-control-allow-origin" not in staff.headers


def test_rasa_down_gives_503_and_the_message_can_be_sent_again(client, monkeypatch):
    with FakeRasa() as dead:
        dead_url = dead.url
    monkeypatch.setenv("RASA_URL", dead_url)
    token = new_token(client)
    response = send(client, token, "halo")
    assert response.status_code == 503 and "layanan sedang sibuk" in response.json()["error"]
    assert client.get("/chat/updates?after=0", headers={TOKEN_HEADER: token}).status_code == 503


def test_rasa_error_gives_503(client, rasa):
    rasa.status = 500
    response = send(client, new_token(client), "halo")
    assert response.status_code == 503 and "coba lagi" in response.json()["error"]


def test_tracker_unreadable_still_answers_with_the_replies(client, rasa):
    rasa.tracker_status = 500
    data = send(client, new_token(client), "halo", after=0).json()
    assert data["cursor"] == 0
    assert data["messages"][0]["kind"] == "bot" and "ada yang bisa kami bantu" in data["messages"][0]["text"]
    assert "id" not in data["messages"][0]


def test_wrong_rasa_token_is_treated_as_unavailable(client, rasa, monkeypatch):
    monkeypatch.setenv("RASA_TOKEN", "wrong")
    token = new_token(client)
    assert client.get("/chat/updates?after=0", headers={TOKEN_HEADER: token}).status_code == 503


def test_rate_limit_per_conversation(client, rasa):
    token = new_token(client)
    for _ in range(20):
        assert send(client, token, "halo").status_code == 200
    limited = send(client, token, "halo")
    assert limited.status_code == 429
    assert "terlalu cepat" in limited.json()["error"]
    assert int(limited.headers["retry-after"]) >= 1
    assert len([r for r in rasa.requests if r["path"] == "/webhooks/rest/webhook"]) == 20
    # another citizen is not affected
    assert send(client, new_token(client), "halo").status_code == 200


def test_rate_limits_on_new_sessions_and_polling(client):
    tokens = [client.post("/chat/session") for _ in range(31)]
    assert [t.status_code for t in tokens].count(200) == 30 and tokens[-1].status_code == 429
    # refreshing an existing token is not a new conversation and is not limited by that rule
    assert client.post("/chat/session", headers={TOKEN_HEADER: tokens[0].json()["token"]}).status_code == 200
    token = tokens[0].json()["token"]
    codes = [client.get("/chat/updates?after=0", headers={TOKEN_HEADER: token}).status_code for _ in range(61)]
    assert codes.count(200) == 60 and codes[-1] == 429


def test_reply_fields_are_sanitised():
    cleaned = clean_messages([
        {"text": "a", "buttons": [{"title": "T", "payload": "/p"}, {"payload": "no title"}, "junk"]},
        {"image": "javascript:alert(1)"},
        {"image": "//evil.example/x.png"},
        {"custom": {"x": 1}},
        "junk",
    ])
    assert cleaned == [{"text": "a", "buttons": [{"title": "T", "payload": "/p"}]}]
    assert clean_messages({"not": "a list"}) == []


def test_transcript_skips_internal_events_and_keeps_positions():
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "halo"},
        {"event": "bot", "text": "Pilih:", "data": {"buttons": [{"title": "Ya", "payload": "/affirm"}]}},
        {"event": "user", "text": "/affirm"},
        {"event": "bot", "text": None, "data": {"image": "javascript:alert(1)"}},  # nothing to show
        {"event": "user", "text": "/affirm"},  # a button offered earlier, clicked again
        {"event": "user", "text": "/stop"},  # no such button: shown as sent
        "junk",
        {"event": "user", "text": "EXTERNAL: EXTERNAL_office_message"},
        {"event": "bot", "text": "Pengingat kunjungan besok.", "data": {}},
    ]
    assert transcript_items(events) == [
        {"id": 3, "kind": "user", "text": "halo"},
        {"id": 4, "kind": "bot", "text": "Pilih:", "buttons": [{"title": "Ya", "payload": "/affirm"}]},
        {"id": 5, "kind": "user", "text": "Ya"},
        {"id": 7, "kind": "user", "text": "Ya"},
        {"id": 8, "kind": "user", "text": "/stop"},
        {"id": 11, "kind": "bot", "text": "Pengingat kunjungan besok."},
    ]
    assert items_after(events, 5) == (transcript_items(events)[3:], 11, False)


def test_origins_are_normalised():
    assert normalise_origin("HTTPS://Example.org:443/") == "https://example.org"
    assert normalise_origin("http://127.0.0.1:8123") == "http://127.0.0.1:8123"
    assert normalise_origin("null") is None and normalise_origin("ftp://x") is None
    assert normalise_origin("http://x:99999") is None
