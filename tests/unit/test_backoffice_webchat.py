"""The public web-chat page and its proxy to Rasa's REST channel (against a real fake-Rasa server)."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from backoffice import routes_chat
from tests.backoffice_support import FakeRasa, create_schema


@pytest.fixture()
def rasa():
    with FakeRasa() as server:
        yield server


@pytest.fixture()
def client(tmp_path, monkeypatch, rasa):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("RASA_URL", rasa.url)
    create_schema(url)
    routes_chat.sender_limiter.reset()
    routes_chat.ip_limiter.reset()
    from backoffice.app import create_app

    return TestClient(create_app())


def test_page_has_accessible_chat_and_no_messages_yet(client, monkeypatch):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<title>Asisten Virtual Kantor Imigrasi" in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<label for="chat-input"' in html and 'id="chat-send"' in html and ">Mulai<" in html
    assert '<script src="/static/webchat.js"' in html
    assert 'class="msg' not in html  # nothing until the citizen starts
    cookie = page.headers["set-cookie"]
    assert "wc_sender=" in cookie and "HttpOnly" in cookie
    # the cookie is kept across visits
    assert "wc_sender" not in client.get("/").headers.get("set-cookie", "")


def test_office_name_from_profile(client, monkeypatch, tmp_path):
    assert "Kantor Imigrasi Kelas II Non TPI Kotabumi" in client.get("/").text
    broken = tmp_path / "profile.yml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    monkeypatch.setenv("OFFICE_PROFILE", str(broken))
    page = client.get("/")
    assert page.status_code == 200 and "Asisten Virtual Kantor Imigrasi" in page.text


def test_send_forwards_to_rasa_with_web_sender_from_cookie(client, rasa):
    client.get("/")
    response = client.post("/chat/send", json={"message": "  halo  ", "sender": "whatsapp:+628123"})
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert messages[0]["text"] == "Halo Bapak/Ibu, ada yang bisa kami bantu?"
    assert messages[0]["buttons"] == [
        {"title": "Paspor baru", "payload": "/tanya_paspor_baru"},
        {"title": "Jam layanan", "payload": "/tanya_jam_layanan"},
    ]
    assert "recipient_id" not in messages[0]
    sent = rasa.requests[-1]
    assert sent["path"] == "/webhooks/rest/webhook"
    assert sent["body"]["message"] == "halo"
    sender = sent["body"]["sender"]
    assert sender.startswith("web:") and sender != "whatsapp:+628123"
    uuid.UUID(sender[len("web:"):])
    # the same browser keeps its conversation; a payload is forwarded as is
    payload = client.post("/chat/send", json={"message": "/tanya_paspor_baru"}).json()["messages"]
    assert rasa.requests[-1]["body"] == {"sender": sender, "message": "/tanya_paspor_baru"}
    assert payload[1] == {"image": "https://example.org/alur-paspor.png"}
    # another browser is another conversation
    other = TestClient(client.app)
    other.post("/chat/send", json={"message": "halo"})
    assert rasa.requests[-1]["body"]["sender"] != sender


def test_forged_or_missing_cookie_gets_a_fresh_sender(client, rasa):
    client.cookies.set("wc_sender", "forged-value")
    response = client.post("/chat/send", json={"message": "halo"})
    assert response.status_code == 200
    assert "wc_sender=" in response.headers["set-cookie"]
    assert rasa.requests[-1]["body"]["sender"].startswith("web:")


@pytest.mark.parametrize(
    "body, status, text",
    [
        ({"message": ""}, 400, "tuliskan pesan"),
        ({"message": "   \n\t "}, 400, "tuliskan pesan"),
        ({}, 400, "tuliskan pesan"),
        ({"message": "x" * 4001}, 400, "maksimal 4.000 karakter"),
        ({"message": 5}, 400, "tidak dapat dibaca"),
    ],
)
def test_invalid_messages_get_a_polite_400(client, rasa, body, status, text):
    response = client.post("/chat/send", json=body)
    assert response.status_code == status
    assert text in response.json()["error"]
    assert rasa.requests == []


def test_longest_allowed_message_passes(client, rasa):
    assert client.post("/chat/send", json={"message": "y" * 4000}).status_code == 200
    assert len(rasa.requests[-1]["body"]["message"]) == 4000


def test_cross_site_and_non_json_posts_are_refused(client, rasa):
    assert client.post("/chat/send", data={"message": "halo"}).status_code == 415
    cross = client.post("/chat/send", json={"message": "halo"}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    same = client.post("/chat/send", json={"message": "halo"}, headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    assert len(rasa.requests) == 1


def test_rasa_down_gives_503(client, monkeypatch):
    with FakeRasa() as dead:
        dead_url = dead.url
    monkeypatch.setenv("RASA_URL", dead_url)
    response = client.post("/chat/send", json={"message": "halo"})
    assert response.status_code == 503
    assert "layanan sedang sibuk" in response.json()["error"]


def test_rasa_error_gives_503(client, rasa):
    rasa.status = 500
    response = client.post("/chat/send", json={"message": "halo"})
    assert response.status_code == 503 and "coba lagi" in response.json()["error"]


def test_rate_limit_per_sender(client, rasa):
    client.get("/")
    for _ in range(20):
        assert client.post("/chat/send", json={"message": "halo"}).status_code == 200
    limited = client.post("/chat/send", json={"message": "halo"})
    assert limited.status_code == 429
    assert "terlalu cepat" in limited.json()["error"]
    assert int(limited.headers["retry-after"]) >= 1
    assert len(rasa.requests) == 20
    # another citizen is not affected
    assert TestClient(client.app).post("/chat/send", json={"message": "halo"}).status_code == 200


def test_reply_fields_are_sanitised():
    cleaned = routes_chat._clean_messages([
        {"text": "a", "buttons": [{"title": "T", "payload": "/p"}, {"payload": "no title"}, "junk"]},
        {"image": "javascript:alert(1)"},
        {"image": "//evil.example/x.png"},
        {"custom": {"x": 1}},
        "junk",
    ])
    assert cleaned == [{"text": "a", "buttons": [{"title": "T", "payload": "/p"}]}]
    assert routes_chat._clean_messages({"not": "a list"}) == []
