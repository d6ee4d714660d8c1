"""Exercise channels/speedups.py inside the Rasa environment (Python 3.10); run by test_speedups.py.

    .venv-rasa/bin/python tests/unit/speedups_probe.py

Real aiohttp servers on 127.0.0.1 stand in for the action server. Prints one JSON line with what it
observed; the test (Python 3.11) judges it.
"""
from __future__ import annotations

import asyncio
import copy
import json
import math
import socket
import time
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphComponent
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, Slot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from channels import outage, speedups

ROOT = Path(__file__).resolve().parents[2]


def conversation() -> list:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered("mau booking", intent={"name": "start_booking", "confidence": 1.0}),
            ActionExecuted("booking_form"), SlotSet("requested_slot", "booking_service"),
            ActionExecuted("action_listen"),
            UserUttered("BAP", intent={"name": "inform", "confidence": 0.93}), SlotSet("booking_service", "BAP")]


# ------------------------------------------------------------------------------------------ JSON body

def json_report(domain: Domain) -> Dict[str, Any]:
    tracker = DialogueStateTracker.from_events("web:probe", conversation(), slots=domain.slots)
    body = RemoteAction("action_booking_submit", None)._action_call_format(tracker, domain)
    other_domain = Domain.from_dict({**domain.as_dict(), "intents": ["greet"]}).as_dict()
    odd: List[Any] = [
        {"domain": {"x": math.nan, "y": [1.5, -0.0, 10 ** 30]}, "next_action": "a"},
        {"domain": {"é": "ü", "nested": {"1": None}}, "tracker": {"events": []}},
        {"a": 1}, [1, 2], "text", {"domain": "not a dict"}, {},
        {"tracker": {"t": 1700000000.123456, "tiny": 5e-324, "big": 1e300, "url": "https://x/y", "s": "é\u2028"},
         "domain": {}},
    ]
    def same(value: Any) -> bool:  # the same JSON value (NaN included: compared as json.dumps writes it)
        return json.dumps(json.loads(speedups._json_text(value))) == json.dumps(value)

    same_value = [same(body) for _ in range(3)]  # the 2nd and 3rd reuse the cache
    body_other = {**body, "domain": other_domain}
    same_value.append(same(body_other))  # another domain: encoded anew
    same_value += [same(value) for value in odd]
    same_value.append(speedups._json_text(body).count("/") == json.dumps(body).count("/"))  # no "\/" escapes
    try:
        int_key = same({1: "int key", "domain": {}})
    except TypeError:
        int_key = False
    refused = [{"tracker": {"a set": {1}}, "domain": {}}, {"tracker": b"bytes", "domain": {}}, {"x": object()}]
    same_error = []
    for value in refused:  # what ujson refuses goes to json.dumps, which raises its own TypeError
        try:
            speedups._json_text(value)
            same_error.append(False)
        except TypeError as exc:
            same_error.append("is not JSON serializable" in str(exc) and "ujson" not in repr(exc))
    circular: Dict[str, Any] = {"domain": {}}
    circular["tracker"] = circular
    try:
        speedups._json_text(circular)
        circular_fails = False
    except ValueError:
        circular_fails = True
    return {"same_value": same_value, "int_key": int_key, "circular_fails": circular_fails, "same_error": same_error,
            "body_kb": round(len(json.dumps(body)) / 1000, 1)}


# ------------------------------------------------------------------------------------------ pooled session

ANSWER = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []}


class ClosingServer:
    """Answers each request as keep-alive, then closes the connection: what a server ending an idle
    keep-alive connection (or going away between two requests) looks like to the client."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: List[Dict[str, Any]] = []
        self.server: Any = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        self.requests.append({"body": json.loads(await reader.readexactly(length))})
        body = json.dumps(ANSWER).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def start(self) -> "ClosingServer":
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


class ActionServer:
    """An aiohttp app that records every request and the client port it came from."""

    def __init__(self, port: int, die_on_request: bool = False) -> None:
        self.port, self.die_on_request = port, die_on_request
        self.requests: List[Dict[str, Any]] = []
        self.runner: Any = None

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({"body": await request.json(), "peer": request.transport.get_extra_info("peername")[1],
                              "headers": dict(request.headers)})
        if self.die_on_request:  # the server goes away while it could be running the action
            request.transport.close()
            await asyncio.sleep(0.2)
        return web.json_response(ANSWER)

    async def start(self) -> "ActionServer":
        app = web.Application()
        app.router.add_post("/webhook", self.webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def pooled_report() -> Dict[str, Any]:
    port = free_port()
    config = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Probe": "1"}, token="t0k")
    report: Dict[str, Any] = {}

    server = await ActionServer(port).start()
    answers = [await config.request(json={"n": n}, method="post", timeout=30) for n in range(3)]
    report["answers"] = answers
    report["bodies"] = [r["body"] for r in server.requests]
    report["one_connection"] = len({r["peer"] for r in server.requests}) == 1
    report["headers_and_token"] = all(r["headers"].get("X-Probe") == "1" for r in server.requests)
    session = speedups._pooled_session(config)
    reference = config.session()
    report["session_like_rasa"] = (dict(session._default_headers) == dict(reference._default_headers)
                                   and session._default_auth == reference._default_auth
                                   and session._timeout == reference._timeout)
    await reference.close()

    # the action server restarts on the same port: the pooled connection is dead, the request goes out once
    await server.stop()
    server = await ActionServer(port).start()
    report["after_restart"] = await config.request(json={"n": "after restart"}, method="post", timeout=30)
    report["after_restart_seen"] = [r["body"] for r in server.requests]
    await server.stop()

    # the server closed the kept connection and the event loop has not noticed yet (no iteration since)
    server = await ClosingServer(port).start()
    await config.request(json={"n": "first"}, method="post", timeout=30)
    time.sleep(0.3)  # blocks the loop: the server's FIN arrives on the socket but is not processed
    try:
        report["unnoticed_close"] = await config.request(json={"n": "second"}, method="post", timeout=30)
    except aiohttp.ClientError as exc:
        report["unnoticed_close"] = f"{type(exc).__name__}: {exc}"
    report["unnoticed_close_seen"] = [r["body"] for r in server.requests]
    await server.stop()

    # the server dies after it read the request, on a kept connection: not sent again, fails as before
    server = await ActionServer(port).start()
    await config.request(json={"n": "warm"}, method="post", timeout=30)
    server.die_on_request = True
    try:
        await config.request(json={"n": "lost"}, method="post", timeout=30)
        report["died_mid_request"] = "answered"
    except aiohttp.ClientError as exc:
        report["died_mid_request"] = type(exc).__name__
        report["died_counts_as_unreachable"] = outage._is_connection_failure(exc)
    report["died_seen"] = [r["body"] for r in server.requests]
    await server.stop()

    # nothing listens any more: the same error as a new connection gave
    try:
        await config.request(json={"n": "down"}, method="post", timeout=30)
        report["down"] = "answered"
    except aiohttp.ClientError as exc:
        report["down"] = type(exc).__name__
    report["same_session_throughout"] = speedups._pooled_session(config) is session
    await session.close()
    return report


async def other_loop_report() -> bool:
    """A new event loop gets its own session (an aiohttp session belongs to the loop that made it)."""
    config = EndpointConfig("http://127.0.0.1:9/webhook")
    first = speedups._pooled_session(config)
    await first.close()
    second = speedups._pooled_session(config)
    different = first is not second and not second.closed
    await second.close()
    return different


# ------------------------------------------------------------------------------------------ tracker states

def states_report(domain: Domain, original: Any) -> Dict[str, Any]:
    rule_only = {"slots": ["requested_slot"], "loops": []}
    tracker = DialogueStateTracker.from_events("web:probe", conversation(), slots=domain.slots)

    def fresh(**kwargs: Any) -> list:
        return original(DialogueStateTracker.from_events("web:probe", list(tracker.events), slots=domain.slots),
                        domain, **kwargs)

    checks = {}
    first = tracker.past_states(domain)
    checks["first"] = first == fresh()
    first[-1].clear()  # callers edit what they get (the featurizers delete the last state's keys)
    for state in first:
        for sub in state.values():
            sub.clear()
    checks["repeat_after_edits"] = tracker.past_states(domain) == fresh()
    checks["other_arguments"] = (tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data=rule_only)
                                 == fresh(ignore_rule_only_turns=True, rule_only_data=rule_only))
    rule_only["slots"].append("booking_service")  # the caller's dict changes: not the same arguments any more
    checks["edited_arguments"] = (tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data=rule_only)
                                  == fresh(ignore_rule_only_turns=True, rule_only_data=rule_only))
    before = tracker.past_states(domain)
    tracker.update(ActionExecuted("booking_form"))
    after = tracker.past_states(domain)
    checks["new_event"] = after == fresh() and after != before
    tracker.update(SlotSet("booking_service", "Paspor"))  # a slot change alone changes the states too
    checks["slot_event"] = tracker.past_states(domain) == fresh()

    # a tracker keeping only its last 6 events: the count stays, the last event changes
    short = DialogueStateTracker.from_events("web:short", conversation(), slots=domain.slots, max_event_history=6)
    short.past_states(domain)
    short.update(ActionExecuted("booking_form"))
    checks["rolling_history"] = short.past_states(domain) == original(
        DialogueStateTracker.from_events("web:short", list(short.events), slots=domain.slots, max_event_history=6),
        domain)
    for n in range(10):  # many argument sets on one tracker: a few entries are kept, no more
        tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data={"slots": [str(n)], "loops": []})
    checks["bounded"] = len(tracker.__dict__[speedups._STATES_ATTR]) == speedups._STATES_KEPT
    return checks


# ------------------------------------------------------------------------------------------ slot copies

class SlottedSlot(TextSlot):
    __slots__ = ("extra",)


class StatefulSlot(TextSlot):
    def __getstate__(self) -> Dict[str, Any]:
        return {**self.__dict__, "restored": True}


def slots_report(domain: Domain) -> Dict[str, Any]:
    same = []
    for slot in list(domain.slots) + [AnySlot("any", mappings=[{}], initial_value={"a": [1]})]:
        slot.value = ["changed"] if slot.type_name == "list" else slot.value
        copied = copy.copy(slot)
        same.append(type(copied) is type(slot) and copied is not slot and copied.__dict__ == slot.__dict__
                    and all(copied.__dict__[k] is v for k, v in slot.__dict__.items()))
    slotted = SlottedSlot("s", mappings=[{}])
    slotted.extra = "kept"
    stateful = StatefulSlot("t", mappings=[{}])
    return {"same": all(same), "count": len(same), "slotted_kept": copy.copy(slotted).extra == "kept",
            "custom_state_used": copy.copy(stateful).__dict__.get("restored") is True,
            "patched": Slot.__dict__.get("__copy__") is speedups._copy_slot}


# ------------------------------------------------------------------------------------------ response check

RESPONSES: List[Any] = [
    {"events": [{"event": "slot", "name": "booking_date", "value": "2026-04-07", "timestamp": None},
                {"event": "bot", "text": "Tanggal?", "metadata": {}}, {"event": "action", "name": "x"},
                {"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_greet"},
                {"event": "user", "text": "hai", "parse_data": {"intent": {"name": "greet", "confidence": 1}}},
                {"event": "reset_slots"}, {"event": "rewind"}, {"event": "session_started", "timestamp": 1.5}],
     "responses": [{"text": "Halo"}]},
    {"events": [], "responses": []}, {}, {"responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "slot", "name": "x"}]},  # no value
    {"events": [{"event": "nonsense"}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]},
    {"events": [{"event": "action", "name": 3}]},
    {"events": [{"name": "x", "value": 1}]},  # no event name
    {"events": [{"event": ["slot"], "name": "x", "value": 1}]},
    {"events": ["slot"]}, {"events": {"event": "slot"}}, {"responses": "Halo"}, {"responses": ["Halo"]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},  # entity without value
    {"events": [{"event": "slot", "name": "x", "value": 1, "metadata": []}]},
    {"events": [{"event": "action", "name": "x", "confidence": True}]},  # a bool is no number in JSON Schema
    [], "text", None,
]


def verdict(check: Any, response: Any) -> Any:
    try:
        return check(RemoteAction("action_x", None), copy.deepcopy(response))
    except Exception as exc:  # the message is part of the behaviour (Rasa logs it)
        return f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"


def validation_report(original: Any) -> Dict[str, Any]:
    before = [verdict(original, response) for response in RESPONSES]
    after = [verdict(RemoteAction._validate_action_result, response) for response in RESPONSES]
    accepts = RemoteAction.__dict__["_speedups_accepts"]
    return {"same_verdicts": before == after, "valid": sum(v is True for v in before),
            "invalid": sum(v is not True for v in before),
            "fast_accepted": [bool(accepts(r)) for r in RESPONSES if verdict(original, r) is True],
            "fast_never_wrong": all(not accepts(r) for r in RESPONSES if verdict(original, r) is not True)}


class _Step(GraphComponent):
    """A graph component for graph_report: adds its name to what its parents gave; "boom" fails."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: Any, resource: Any, execution_context: Any) -> "_Step":
        return cls(config)

    def __init__(self, config: Dict[str, Any]) -> None:
        self.name = config["name"]

    def run(self, **parents: Any) -> List[str]:
        if self.name == "boom":
            raise RuntimeError("boom")
        seen = [item for key in sorted(parents) for item in (parents[key] if isinstance(parents[key], list)
                                                              else [str(parents[key])])]
        return seen + [self.name]


def graph_report(original_run: Any) -> Dict[str, Any]:
    """The same graph, run by dask (Rasa's own run) and by the sequential runner."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    def node(name: str, needs: Dict[str, str], target: bool = False) -> SchemaNode:
        return SchemaNode(needs=needs, uses=_Step, constructor_name="create", fn="run",
                          config={"name": name}, is_target=target)

    schema = GraphSchema({
        "a": node("a", {"x": "__input__"}),
        "b": node("b", {"first": "a"}),
        "c": node("c", {"one": "b", "two": "a", "three": "__input__"}, target=True),
        "unused": node("unused", {"x": "a"}),
        "boom": node("boom", {"x": "a"}),
    })
    storage = LocalModelStorage(Path("/tmp"))
    runner = DaskGraphRunner(schema, storage, ExecutionContext(schema, "probe"))
    outcome: Dict[str, Any] = {}
    for label, targets in (("default", None), ("b_and_c", ["b", "c"]), ("a", ["a"])):
        inputs = {"__input__": "hello"}
        outcome[label] = {"dask": original_run(runner, inputs, targets),
                          "sequential": speedups._sequential_run(runner, inputs, targets)}
    for label, run in (("dask", original_run), ("sequential", speedups._sequential_run)):
        try:
            run(runner, {"__input__": "a"}, ["c"])
            outcome[f"clash_{label}"] = "accepted"
        except GraphRunError as error:
            outcome[f"clash_{label}"] = str(error)
        try:
            run(runner, {"__input__": "x"}, ["boom"])
            outcome[f"boom_{label}"] = "no error"
        except Exception as error:  # Rasa wraps a component's failure in GraphComponentException
            outcome[f"boom_{label}"] = f"{type(error).__name__}: {error}"
    return outcome


def main() -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    original_states = DialogueStateTracker.past_states
    original_run = DaskGraphRunner.run
    original_validate = RemoteAction._validate_action_result
    speedups.install()
    speedups.install()  # idempotent
    report = {
        "json": json_report(domain),
        "pooled": asyncio.run(pooled_report()),
        "other_loop": asyncio.run(other_loop_report()),
        "states": states_report(domain, original_states),
        "slots": slots_report(domain),
        "validation": validation_report(original_validate),
        "graph": graph_report(original_run),
        "installed": {
            "graph_runner": DaskGraphRunner.run is speedups._sequential_run,
            "request": EndpointConfig.request is speedups._pooled_request,
            "past_states": DialogueStateTracker.past_states is not original_states,
            "wrapped_once": DialogueStateTracker.past_states.__wrapped__ is original_states,
        },
    }
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
