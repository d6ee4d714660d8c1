"""Booking round-trip latency through the real Rasa REST endpoint: `python -m tools.bench_booking`.

Runs N complete booking conversations (start, service, first offered date, first offered time, name,
phone, confirm) against RASA_URL's REST channel, then cancels each booking so the benchmark leaves
no active bookings behind. Prints p50/p95/max per message and per whole booking.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid

import httpx


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a real observed latency)."""
    ordered = sorted(values)
    rank = max(1, int(round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


class Conversation:
    def __init__(self, client: httpx.Client, url: str, sender: str, timings: list[float]) -> None:
        self.client, self.url, self.sender, self.timings = client, url, sender, timings

    def send(self, message: str) -> list[dict]:
        start = time.perf_counter()
        response = self.client.post(f"{self.url}/webhooks/rest/webhook",
                                    json={"sender": self.sender, "message": message}, timeout=120)
        self.timings.append(time.perf_counter() - start)
        response.raise_for_status()
        return response.json()


def _first_payload(reply: list[dict], step: str) -> str:
    for message in reply:
        for button in message.get("buttons") or []:
            return str(button["payload"])
    text = " | ".join(m.get("text", "") for m in reply)
    raise RuntimeError(f"no buttons at step '{step}': {text[:300]}")


def book_once(client: httpx.Client, url: str, index: int, service: str, timings: list[float]) -> str:
    """One booking conversation; returns the booking code."""
    chat = Conversation(client, url, f"bench:{uuid.uuid4().hex[:12]}", timings)
    chat.send("saya mau booking jadwal kunjungan")
    date_reply = chat.send(service)
    time_reply = chat.send(_first_payload(date_reply, "date"))
    chat.send(_first_payload(time_reply, "time"))
    chat.send("Peserta Uji Beban")
    chat.send(f"0899{index:08d}")
    reply = chat.send("Ya")
    text = "\n".join(m.get("text", "") for m in reply)
    marker = "Kode booking Bapak/Ibu: "
    if marker not in text:
        raise RuntimeError(f"booking {index} did not complete: {text[:300]}")
    code = text.split(marker, 1)[1][:6]
    chat.send(f"mohon batalkan booking saya {code}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--conversations", type=int, default=20, help="booking conversations to run")
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"), help="Rasa base URL")
    parser.add_argument("--service", default="KONSUL", help="service code to book (a bookable one)")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    timings: list[float] = []
    totals: list[float] = []
    failures = 0
    print(f"Booking benchmark: {args.conversations} conversations against {url} (service {args.service})")
    with httpx.Client() as client:
        for index in range(args.conversations):
            before = len(timings)
            started = time.perf_counter()
            try:
                book_once(client, url, index, args.service, timings)
            except (RuntimeError, httpx.HTTPError) as exc:
                failures += 1
                print(f"  conversation {index + 1}: failed: {exc}", file=sys.stderr)
                continue
            totals.append(time.perf_counter() - started)
            print(f"  conversation {index + 1}/{args.conversations}: {len(timings) - before} messages, "
                  f"{totals[-1]:.2f} s")
    if not timings:
        print("no successful round trip: is Rasa (and the action server) running?", file=sys.stderr)
        return 1
    ms = [t * 1000 for t in timings]
    print(f"\nmessages: {len(ms)}  p50 {percentile(ms, 50):.0f} ms  p95 {percentile(ms, 95):.0f} ms  "
          f"max {max(ms):.0f} ms  mean {statistics.fmean(ms):.0f} ms")
    if totals:
        print(f"bookings: {len(totals)} completed, {failures} failed  p50 {percentile(totals, 50):.2f} s  "
              f"p95 {percentile(totals, 95):.2f} s per whole booking (8 messages incl. the cancel)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
