"""The Rasa server's answer when the action server or the tracker store is unreachable.

What Rasa 3.6.21 does on its own (rasa/core/processor.py `_run_action`, rasa/core/tracker_store.py
`FailSafeTrackerStore`), and why each is wrong here:
- a custom action whose server is down is logged ("Bot will continue, but the actions events are
  lost"), its `ActionExecuted` is recorded anyway and the citizen gets no answer at all; slots that
  `action_extract_slots` filled in that turn stay set without ever being validated, so a form can go
  on with "besok" as a date;
- `trigger_intent` still answers 200, so the worker records an office message as delivered that the
  relay action never showed;
- a tracker store error falls back to an in-memory store: the conversation seems to start afresh,
  the citizen's message is answered out of context and never stored in the database.

What happens instead, with one `install()` (channels/base.py calls it; every `rasa run` with
bot/credentials.yml imports that module before the agent and its tracker store are created):
- a citizen's message whose turn could not reach the action server stays in the tracker (nothing the
  citizen sent is lost), the turn's effects are not stored and a `UserUtteranceReverted` takes the
  message out of the dialogue (the form is where it was), and the citizen gets the apology of
  office/outage.py; sending the message again once the action server is back continues the
  conversation. Replies of the undone turn are not delivered. When the server died in the middle of
  an action that had already written to the office database, sending again runs it again: a booking
  is safe (office/ refuses a second active booking for the same phone and service); a complaint sent
  at that very instant could be filed twice.
- an external intent (`trigger_intent`: the worker's outbox) fails with HTTP 500 and nothing is
  stored, so the worker retries it with backoff and the citizen sees it once, later.
- a tracker store error raises instead of falling back to memory: the citizen gets the apology and
  nothing is processed; PostgreSQL connections are pinged before use (`pool_pre_ping`), so the first
  message after a database restart works without restarting Rasa.

Only connection failures count as "unreachable" (refused, reset, server gone mid-request): an action
that answers with an error is a bug and keeps Rasa's own handling. These are patches of private
methods of Rasa 3.6.21 (pinned in requirements/rasa.txt); `install()` checks each one exists and
says so in the log when it does not, instead of starting half-patched silently.
"""
from __future__ import annotations

import contextvars
import functools
import logging
from typing import Any, Callable, List, Optional

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"

# Names of custom actions that could not be reached during the current turn (None outside a turn).
_unreachable: contextvars.ContextVar[Optional[List[str]]] = contextvars.ContextVar("unreachable_actions",
                                                                                   default=None)


class ActionServerUnreachable(Exception):
    """A turn needed the action server and could not reach it; carries the turn's tracker."""

    def __init__(self, tracker: Any, actions: List[str]) -> None:
        super().__init__(f"action server unreachable for {', '.join(actions)}")
        self.tracker = tracker


class TrackerStoreUnavailable(Exception):
    """The tracker store (the conversation database) failed; raised instead of a silent in-memory fallback."""


def _is_connection_failure(exc: BaseException) -> bool:
    """True when `exc` (a RasaException of RemoteAction) was caused by not reaching the action server."""
    import aiohttp

    seen: BaseException | None = exc
    for _ in range(5):  # RemoteAction raises inside `except aiohttp.ClientConnectionError`: the cause is the context
        if seen is None:
            return False
        if isinstance(seen, aiohttp.ClientConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _raise_if_unreachable(tracker: Any) -> None:
    failed = _unreachable.get()
    if failed:
        raise ActionServerUnreachable(tracker, list(failed))


def _store_failed(error: Exception) -> None:
    raise TrackerStoreUnavailable(f"{error.__class__.__name__}: {error}") from error


def _raise_on_store_errors(processor: Any) -> None:
    """Make the agent's FailSafeTrackerStore raise instead of falling back to memory (its documented callback)."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = getattr(processor, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore) and getattr(store, "_on_tracker_store_error", None) is None:
        store._on_tracker_store_error = _store_failed


def _language(tracker: Any, text: str) -> str:
    from office.outage import language_hint

    slot = None
    if tracker is not None and "language" in getattr(tracker, "slots", {}):
        slot = tracker.get_slot("language")
    return language_hint(slot, text)


def _undone_turn(processor: Any, tracker: Any, text: str) -> Any:
    """The conversation as it was before this turn, plus the citizen's message (kept), a revert of it,
    the apology and a listen: what is stored when the turn could not run.

    Everything the turn did after the message (extracted slots, the failed action) is left out rather
    than reverted: Rasa folds repeated form executions together when it replays a tracker, and a
    `UserUtteranceReverted` placed after them would undo the whole form.
    """
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered, UserUtteranceReverted
    from rasa.shared.core.trackers import DialogueStateTracker

    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    kept = events[: last_user + 1] if last_user is not None else events
    kept += [UserUtteranceReverted(), BotUttered(text, metadata={"system_unavailable": True}),
             ActionExecuted(ACTION_LISTEN_NAME)]
    return DialogueStateTracker.from_events(tracker.sender_id, kept, slots=processor.domain.slots,
                                            max_event_history=tracker._max_event_history)


async def _apologise(processor: Any, message: Any, tracker: Any) -> Optional[List[dict]]:
    """Answer with the apology; with a tracker, keep the message but undo its turn, and store that."""
    from rasa.core.channels.channel import CollectingOutputChannel

    from office.outage import unavailable_text

    text = unavailable_text(_language(tracker, message.text or ""))
    output = message.output_channel
    collected = getattr(output, "messages", None)
    if isinstance(collected, list):
        collected.clear()  # replies of a turn that is undone are not delivered
    if tracker is not None:
        try:
            await processor.save_tracker(_undone_turn(processor, tracker, text))
        except TrackerStoreUnavailable as exc:
            log.error("conversation %s: the tracker store failed too (%s)", tracker.sender_id, exc)
    await output.send_response(message.sender_id, {"text": text})
    if isinstance(output, CollectingOutputChannel):
        return output.messages
    return None


def _wrap(owner: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    original = owner.__dict__.get(name)
    if original is None:
        log.error("channels.outage: %s.%s not found (Rasa is not %s?); outage handling is OFF",
                  owner.__name__, name, RASA_VERSION)
        return False
    wrapped = functools.wraps(original)(make(original))
    wrapped._outage_guard = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapped)
    return True


def install() -> None:
    """Patch Rasa's processor, RemoteAction and SQL tracker store once per process (idempotent)."""
    import rasa
    from rasa.core import tracker_store as rasa_tracker_store
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.exceptions import RasaException

    if getattr(MessageProcessor.handle_message, "_outage_guard", False):
        return
    if rasa.__version__ != RASA_VERSION:
        log.warning("channels.outage was written against Rasa %s, this is %s", RASA_VERSION, rasa.__version__)

    def remote_run(original: Callable[..., Any]) -> Callable[..., Any]:
        async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
            try:
                return await original(self, output_channel, nlg, tracker, domain)
            except RasaException as exc:
                failed = _unreachable.get()
                if failed is not None and _is_connection_failure(exc):
                    failed.append(self.name())
                raise
        return run

    def run_action(original: Callable[..., Any]) -> Callable[..., Any]:
        async def _run_action(self: Any, action: Any, tracker: Any, *args: Any, **kwargs: Any) -> Any:
            result = await original(self, action, tracker, *args, **kwargs)
            _raise_if_unreachable(tracker)  # stop the prediction loop at the first unreachable action
            return result
        return _run_action

    def extract_slots(original: Callable[..., Any]) -> Callable[..., Any]:
        async def run_action_extract_slots(self: Any, output_channel: Any, tracker: Any) -> Any:
            tracker = await original(self, output_channel, tracker)
            _raise_if_unreachable(tracker)  # Rasa swallows a failed custom slot mapping: the slot is just not set
            return tracker
        return run_action_extract_slots

    def handle(original: Callable[..., Any]) -> Callable[..., Any]:
        async def handle_message(self: Any, message: Any) -> Any:
            _raise_on_store_errors(self)
            token = _unreachable.set([])
            try:
                return await original(self, message)
            except ActionServerUnreachable as exc:
                log.warning("conversation turn undone, action server unreachable: %s", exc)
                return await _apologise(self, message, exc.tracker)
            except TrackerStoreUnavailable as exc:
                log.warning("message not processed, tracker store unavailable: %s", exc)
                return await _apologise(self, message, None)
            finally:
                _unreachable.reset(token)
        return handle_message

    def trigger(original: Callable[..., Any]) -> Callable[..., Any]:
        async def trigger_external_user_uttered(self: Any, *args: Any, **kwargs: Any) -> Any:
            _raise_on_store_errors(self)
            token = _unreachable.set([])
            try:  # any failure propagates: Rasa's HTTP API answers 500 and saved nothing; the worker retries
                return await original(self, *args, **kwargs)
            finally:
                _unreachable.reset(token)
        return trigger_external_user_uttered

    def engine_kwargs(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_engine_kwargs(url: Any) -> Any:
            kwargs = original(url)
            if rasa_tracker_store.is_postgresql_url(url):
                kwargs["pool_pre_ping"] = True  # a connection dropped by a database restart is replaced, not used
            return kwargs
        return create_engine_kwargs

    _wrap(RemoteAction, "run", remote_run)
    _wrap(MessageProcessor, "_run_action", run_action)
    _wrap(MessageProcessor, "run_action_extract_slots", extract_slots)
    _wrap(MessageProcessor, "trigger_external_user_uttered", trigger)
    _wrap(MessageProcessor, "handle_message", handle)
    original_kwargs = getattr(rasa_tracker_store, "create_engine_kwargs", None)
    if original_kwargs is None or not hasattr(rasa_tracker_store, "is_postgresql_url"):
        log.error("channels.outage: rasa.core.tracker_store.create_engine_kwargs not found; no pool_pre_ping")
    elif not getattr(original_kwargs, "_outage_guard", False):
        patched = functools.wraps(original_kwargs)(engine_kwargs(original_kwargs))
        patched._outage_guard = True  # type: ignore[attr-defined]
        rasa_tracker_store.create_engine_kwargs = patched
