"""A stand-in for the office's own website: another 127.0.0.1 origin that embeds the web-chat widget
with the one documented script tag, under a strict CSP (no inline script or style allowed) and with
stylesheet rules that would break a widget not isolated from the host page."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import free_port

HOSTILE_CSS = """
html { font-size: 10px; }
body { margin: 0; font-family: Georgia, serif; letter-spacing: .15em; color: #222; background: #fff; }
header { background: #7a1f1f; color: #fff; padding: 1rem 2rem; }
main { padding: 1rem 2rem; max-width: 60rem; font-size: 1.8rem; }
/* rules a real site might have; none of them may reach the widget */
button { display: none !important; }
div, section, form { border: 4px dashed #0a0 !important; padding: 30px !important; }
textarea { width: 12px !important; background: #000 !important; }
p { text-transform: uppercase; }
"""

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/site.css">
<script src="{backoffice}/widget.js" data-office-chat defer></script>
</head>
<body>
<header><h1>{title}</h1></header>
<main>
<p>{intro}</p>
<p><a href="#layanan">{link}</a></p>
<h2 id="layanan">{services}</h2>
<p>{body}</p>
</main>
</body>
</html>
"""

TEXTS = {
    "id": {"title": "Kantor Imigrasi Kotabumi", "intro": "Selamat datang di situs resmi kantor kami.",
           "link": "Informasi layanan", "services": "Layanan paspor",
           "body": "Pendaftaran paspor dilakukan melalui aplikasi M-Paspor."},
    "en": {"title": "Kotabumi Immigration Office", "intro": "Welcome to our office website.",
           "link": "Our services", "services": "Passport services",
           "body": "Passport applications are made in the M-Paspor app."},
}


class HostSite:
    """`HostSite(backoffice_url).start()`; `.origin`, `.url("/")` (Indonesian) or `.url("/en")`."""

    def __init__(self, backoffice_url: str = "") -> None:
        self.backoffice_url = backoffice_url
        self.port = free_port()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/site.css":
                    self._send(HOSTILE_CSS, "text/css")
                    return
                lang = "en" if self.path.startswith("/en") else "id"
                page = PAGE.format(lang=lang, backoffice=site.backoffice_url, **TEXTS[lang])
                self._send(page, "text/html")

            def _send(self, text: str, kind: str) -> None:
                body = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", (
                    f"default-src 'self'; script-src {site.backoffice_url}; connect-src {site.backoffice_url}; "
                    "style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'"))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def start(self) -> "HostSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
