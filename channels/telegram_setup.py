"""Point Telegram at this server's webhook: `python -m channels.telegram_setup` (run with the Rasa env).

Reads TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_PUBLIC_BASE_URL (the public https origin
of the Rasa server, e.g. https://bot.kanim-kotabumi.example). `--delete` removes the webhook (needed
before polling), `--info` only shows what Telegram has.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from typing import Optional

from channels.telegram import make_bot, settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def run(public_base_url: Optional[str], delete: bool = False, info_only: bool = False,
              drop_pending: bool = False) -> int:
    values = settings()
    if not values["token"]:
        print("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather).", file=sys.stderr)
        return 2
    async with make_bot(values["token"], values["api_base_url"]) as bot:
        if delete:
            await bot.delete_webhook(drop_pending_updates=drop_pending)
            print("webhook removed")
        elif not info_only:
            if not _SECRET.match(values["secret"] or ""):
                print("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -.",
                      file=sys.stderr)
                return 2
            if not public_base_url or not public_base_url.startswith("https://"):
                print("TELEGRAM_PUBLIC_BASE_URL (or --url) must be the public https:// origin of the Rasa server.",
                      file=sys.stderr)
                return 2
            url = public_base_url.rstrip("/") + WEBHOOK_PATH
            await bot.set_webhook(url=url, secret_token=values["secret"], allowed_updates=ALLOWED_UPDATES,
                                  drop_pending_updates=drop_pending)
            print(f"webhook set for @{bot.username}: {url}")
        info = await bot.get_webhook_info()
        print(f"url={info.url or '-'} pending={info.pending_update_count} "
              f"last_error={info.last_error_message or '-'}")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TELEGRAM_PUBLIC_BASE_URL"),
                        help="public https origin of the Rasa server (default TELEGRAM_PUBLIC_BASE_URL)")
    parser.add_argument("--delete", action="store_true", help="remove the webhook")
    parser.add_argument("--info", action="store_true", help="only show the current webhook")
    parser.add_argument("--drop-pending", action="store_true", help="discard updates waiting at Telegram")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.url, args.delete, args.info, args.drop_pending))


if __name__ == "__main__":
    sys.exit(main())
