"""Print where everything runs once `make run` starts it, and how staff sign in."""
from __future__ import annotations

import os

port = os.environ.get("BACKOFFICE_PORT", "8000")
print(f"""
==================================================================
 Web chat (citizens):     http://127.0.0.1:{port}/
 Back-office (staff):     http://127.0.0.1:{port}/staff/login
 Rasa REST channel:       http://127.0.0.1:5005/webhooks/rest/webhook
 First sign-in: run `make admin` in another terminal; it prints a
 one-time password for the user "admin" (changed at first sign-in).
 Stop everything with Ctrl-C.
==================================================================
""", flush=True)
