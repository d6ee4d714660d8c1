"""Local development without a public URL: `python -m channels.telegram_polling` (run with the Rasa env).

Long-polls Telegram's getUpdates and posts each update, unchanged, to the local Rasa webhook with the
secret header, so the same code path (secret check, replay protection, buttons, media) runs as in
production. It removes any webhook first (Telegram allows one or the other). Needs TELEGRAM_BOT_TOKEN
and TELEGRAM_WEBHOOK_SECRET; RASA_URL (default http://localhost:5005) is where Rasa listens.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Optional

import httpx

from channels.telegram import make_bot, settings
from channels.telegram_setup import ALLOWED_UPDATES, WEBHOOK_PATH

log = logging.getLogger("channels.telegram_polling")


async def forward(client: httpx.AsyncClient, url: str, secret: str, update: dict) -> bool:
    """Post one update to Rasa; True when Rasa took it (2xx, or 4xx that a retry would not fix)."""
    try:
        reply = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                                  timeout=120)
    except httpx.HTTPError as exc:
        log.warning("Rasa not reachable at %s: %s", url, exc)
        return False
    if reply.status_code == 403:
        raise SystemExit("Rasa rejected the secret: start Rasa with the same TELEGRAM_WEBHOOK_SECRET.")
    if reply.status_code >= 500:
        log.warning("Rasa answered %s; will retry update %s", reply.status_code, update.get("update_id"))
        return False
    return True


async def poll(rasa_url: str, once: bool = False, timeout: int = 30) -> int:
    values = settings()
    if not values["token"] or not values["secret"]:
        print("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (the same values Rasa runs with).",
              file=sys.stderr)
        return 2
    url = rasa_url.rstrip("/") + WEBHOOK_PATH
    offset: Optional[int] = None
    async with make_bot(values["token"], values["api_base_url"]) as bot, httpx.AsyncClient() as client:
        await bot.delete_webhook()
        print(f"polling as @{bot.username}, forwarding to {url}", flush=True)
        while True:
            updates = await bot.get_updates(offset=offset, timeout=0 if once else timeout,
                                            allowed_updates=ALLOWED_UPDATES)
            for update in updates:
                if not await forward(client, url, values["secret"], update.to_dict()):
                    await asyncio.sleep(2)
                    break  # keep the offset: this update is fetched again
                offset = update.update_id + 1
            if once:
                if offset is not None:  # confirm what was forwarded
                    await bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
                return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://localhost:5005"))
    parser.add_argument("--once", action="store_true", help="forward what is waiting, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return asyncio.run(poll(args.rasa_url, args.once))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
