"""A tiny SMTP server on 127.0.0.1 for tests (socketserver, no aiosmtpd): it speaks just enough
SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and records every message."""
from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    message: Message = field(init=False)

    def __post_init__(self) -> None:
        self.message = message_from_bytes(self.data)


class FakeSMTP:
    """`with FakeSMTP() as smtp:` -> SMTP_HOST=127.0.0.1, SMTP_PORT=smtp.port; `smtp.messages`."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 fake.smtp ready")
                sender, rcpts = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-fake.smtp\r\n250 8BITMIME\r\n")
                        self.wfile.flush()
                    elif verb == "HELO":
                        self.reply("250 fake.smtp")
                    elif verb == "MAIL":
                        sender, rcpts = line.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        chunks = []
                        while True:
                            data_line = self.rfile.readline()
                            if data_line in (b".\r\n", b".\n", b""):
                                break
                            chunks.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                        fake.messages.append(Received(sender, list(rcpts), b"".join(chunks)))
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> "FakeSMTP":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
