"""A Sanic app serving our three channels without a model (run with the Rasa env), for the tests.

`on_new_message` appends each UserMessage as a JSON line to --log and answers with an echo, so the tests
can check what a channel hands to Rasa (text, sender id, metadata) and that unconfigured channels refuse
everything, without the cost of a Rasa server.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from sanic import Sanic, response

from channels.meta import MetaInput
from channels.telegram import TelegramInput
from channels.whatsapp import WhatsAppInput


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--unconfigured", action="store_true", help="ignore the environment: no secrets")
    args = parser.parse_args()
    if args.unconfigured:
        for key in list(os.environ):
            if key.startswith(("TWILIO_", "TELEGRAM_", "META_")):
                del os.environ[key]
    channels = [WhatsAppInput.from_credentials(None), TelegramInput.from_credentials(None),
                MetaInput.from_credentials(None)]
    app = Sanic("channels_test_app")

    async def on_new_message(message) -> None:  # a UserMessage
        with open(args.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"text": message.text, "sender_id": message.sender_id,
                                     "input_channel": message.input_channel, "metadata": message.metadata,
                                     "message_id": message.message_id}) + "\n")
        await message.output_channel.send_response(message.sender_id, {"text": f"echo: {message.text}"})

    for channel in channels:
        app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")

    @app.get("/health")
    async def health(_):
        return response.json({"ok": True})

    app.run(host="127.0.0.1", port=args.port, access_log=False, single_process=True) \
        if "single_process" in Sanic.run.__code__.co_varnames else \
        app.run(host="127.0.0.1", port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    sys.exit(main())
