"""Rasa's SQL tracker store, with NIK, passport and phone numbers masked where the conversation no longer
needs them (UU 27/2022: keep no more personal data than the purpose needs).

What is stored, per event (office/privacy.py does the masking):
- the citizen's messages (text, parse_data.text, entity values, metadata strings): masked when saved. Rasa saves
  a tracker once a message has been handled, so every action of that turn has already read the raw text; later
  turns read slots, not old messages.
- slot values: a value is what a form still needs (the booking's phone number travels in `booking_phone` from
  the question to the confirmation, where the action stores it in the office database). So a value is kept
  while it is the current value of a slot of the active form, and masked as soon as that no longer holds (the
  form is submitted, cancelled or reset); then the stored row is rewritten. Other slots (an entity the NLU took
  from a phone number) are masked at once.
- the bot's texts: the numbers the citizen gave (in their messages or slots) are masked, except while still held
  by a slot (the confirmation the citizen checks: the web chat shows the transcript from this store); the office's
  own published numbers in answers (a WhatsApp hotline) stay. What the bot said for "minta data saya" (the
  citizen's copy, read from the office database) is kept for the turn it is shown in and masked after it.
- a NIK (16 digits) is never needed: masked everywhere, always, even in a current slot value.
Everything else (actions, active loops, timestamps) is stored as Rasa stores it.

Loaded by module path, like bot/lock_store.py:
    tracker_store:
      type: bot.tracker_store.MaskingSQLTrackerStore
      url: ${TRACKER_STORE_URL}
Rasa falls back to an in-memory store, with only a warning, when this module cannot be imported: the Rasa
server must run with the project root on PYTHONPATH (Procfile, tests/conftest.py and the images do).
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from rasa.core.constants import POSTGRESQL_SCHEMA
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from office.privacy import mask_nik, mask_numbers, mask_personal_data, personal_numbers

logger = logging.getLogger(__name__)
# Actions whose whole answer is the citizen's own data (read from the office database, not from this tracker).
PERSONAL_ANSWERS = frozenset({"action_privacy_export"})
# The stored rows a later save may rewrite (see `_masked_rows`); an action row tells whose answer a bot row is.
REWRITABLE = (SlotSet.type_name, BotUttered.type_name, ActionExecuted.type_name)


def mask_value(value: Any, mask: Any = mask_personal_data) -> Any:
    """`value` with every string inside it masked (lists and dicts are walked)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [mask_value(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v, mask) for k, v in value.items()}
    return value


def numbers_in(value: Any) -> set[str]:
    """Keys of the phone and passport numbers in any string inside `value`."""
    if isinstance(value, str):
        return personal_numbers(value)
    if isinstance(value, list):
        return set().union(*(numbers_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return numbers_in(list(value.values()))
    return set()


def _is_live(name: Any, value: Any, live_slots: dict[str, Any]) -> bool:
    return name in live_slots and mask_value(live_slots[name], mask_nik) == mask_value(value, mask_nik)


def masked_event(data: dict[str, Any], live_slots: dict[str, Any], given: set[str] = frozenset(),
                 live_numbers: set[str] = frozenset(), personal_answer: bool = False) -> dict[str, Any]:
    """The event as stored (see the module docstring). `live_slots`: the tracker's current slot values;
    `given`: numbers the citizen gave; `live_numbers`: those a slot still holds; `personal_answer`: a bot text
    that is the citizen's own data, masked whole."""
    kind = data.get("event")
    if kind == "user":
        data = dict(data)
        data["text"] = mask_value(data.get("text"))
        parse = dict(data.get("parse_data") or {})
        if parse:
            parse["text"] = mask_value(parse.get("text"))
            if parse.get("entities"):
                parse["entities"] = [{**e, "value": mask_value(e.get("value"))} if isinstance(e, dict) else e
                                     for e in parse["entities"]]
            data["parse_data"] = parse
        if data.get("metadata"):
            data["metadata"] = mask_value(data["metadata"])
        return data
    if kind == "bot":
        if personal_answer:
            return {**data, "text": mask_value(data.get("text"))}
        keys = set(given) - set(live_numbers)
        return {**data, "text": mask_value(data.get("text"), lambda t: mask_numbers(t, keys))}
    if kind == "slot":
        name, value = data.get("name"), data.get("value")
        live = _is_live(name, value, live_slots)
        return {**data, "value": mask_value(value, mask_nik if live else mask_personal_data)}
    return data


class _Statements:
    """The tracker store's SQL, built once per store and reused with bound parameters. Rasa builds a new ORM
    query with a subquery for every read and for the count in every save; SQLAlchemy then walks the whole
    query to generate its cache key each time (`_gen_cache_key`). A Core statement object memoizes its cache
    key, so a reused one costs only the execution."""

    def __init__(self, table: sa.Table) -> None:
        c = table.c
        sender = sa.bindparam("sender_id")
        # Rasa's `_event_query`: the events from the latest `SessionStarted` on (all of them if there is none),
        # ordered by id (timestamps are not unique); the same SQL shape, a subquery in FROM.
        start = (sa.select(sa.func.max(c.timestamp).label("session_start"))
                 .where(c.sender_id == sender, c.type_name == SessionStarted.type_name).subquery())
        in_session = sa.and_(c.sender_id == sender,
                             sa.or_(c.timestamp >= start.c.session_start, start.c.session_start.is_(None)))
        self.session_events = sa.select(c.data).select_from(table).join(start, sa.true()).where(
            in_session).order_by(c.id)
        self.all_events = sa.select(c.data).where(c.sender_id == sender).order_by(c.id)
        # For a save: every row of the session (their number is where the tracker's new events begin). Reading
        # the data of the rows `_masked_rows` skips costs less than a CASE that leaves it out (measured, SQLite).
        self.session_rows = sa.select(c.id, c.type_name, c.data).select_from(table).join(start, sa.true()).where(
            in_session).order_by(c.id)
        self.insert = sa.insert(table)
        self.rewrite = sa.update(table).where(c.id == sa.bindparam("row_id")).values(data=sa.bindparam("new_data"))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores masked events and masks earlier rows once they are no longer needed.

    Reads and writes with reused Core statements (`_Statements`) instead of Rasa's ORM queries: a save reads the
    session's rows once (their number is Rasa's COUNT of stored events, their data what `_masked_rows` checks),
    rewrites the changed rows by id and inserts the new ones in one executemany. The rows stored, the session
    read back and the SQL's meaning are Rasa's (tests/integration/test_tracker_masking.py, SQLite and PostgreSQL).
    Measured (a 7-turn booking conversation, two sessions, ~50 events, retrieve + save per turn, process CPU):
    SQLite 7.7 -> 1.8 ms, PostgreSQL 8.9 -> 2.7 ms per turn. Under `make bench` (10 citizens, SQLite) py-spy
    had save() at 16 % and retrieve at 8 % of the Rasa process, a quarter of that SQLAlchemy building and hashing
    the same query again; after: 5 % and 2 %, and Rasa's CPU per message 44 -> 37-38 ms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sql = _Statements(self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's `_retrieve` (used by `retrieve` and `retrieve_full_tracker`) with the reused statements."""
        statement = self._sql.all_events if fetch_events_from_all_sessions else self._sql.session_events
        with self._transaction() as connection:
            rows = connection.execute(statement, {"sender_id": sender_id}).all()
        events = [json.loads(data) for (data,) in rows]
        if self.domain and events:
            logger.debug(f"Recreating tracker from sender id '{sender_id}'")
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        logger.debug(f"Can't retrieve tracker matching sender id '{sender_id}' from SQL storage. "
                     f"Returning `None` instead.")
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        live_slots = self._needed_slots(tracker)
        live_numbers = numbers_in(list(live_slots.values()))
        with self._transaction() as connection:
            # One read of this session's rows: their number replaces Rasa's COUNT (`_additional_events`), their
            # data is what `_masked_rows` checks.
            rows = connection.execute(self._sql.session_rows, {"sender_id": tracker.sender_id}).all()
            new_events: list[Event] = list(itertools.islice(tracker.events, len(rows), None))
            given = set(live_numbers)
            for event in new_events:
                if isinstance(event, UserUttered):
                    given |= personal_numbers(event.text or "")
                elif isinstance(event, SlotSet):
                    given |= numbers_in(event.value)
            rewrites = _masked_rows(rows, live_slots, live_numbers, given)
            if rewrites:
                connection.execute(self._sql.rewrite, [{"row_id": i, "new_data": d} for i, d in rewrites])
            inserts = []
            for event in new_events:  # this turn's own answers stay readable (the web chat shows them now)
                data = masked_event(event.as_dict(), live_slots, given, live_numbers)
                intent = (data.get("parse_data", {}) or {}).get("intent", {}) or {}
                inserts.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                                "timestamp": data.get("timestamp"), "intent_name": intent.get(INTENT_NAME_KEY),
                                "action_name": data.get("name"), "data": json.dumps(data)})
            if inserts:
                connection.execute(self._sql.insert, inserts)
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database (masked)")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.engine.Connection]:
        """A connection in a transaction, committed if the block ends without an error (rolled back if not).
        Rasa's `session_scope` opens an ORM Session for this: without it a retrieve + save measured 1.85 -> 1.75
        ms on SQLite and 3.2 -> 2.7 ms on PostgreSQL. The Session's only other work, Rasa's check that the
        PostgreSQL schema named by POSTGRESQL_SCHEMA exists (exiting if not), is kept by going through
        `session_scope` whenever that variable is set."""
        if os.environ.get(POSTGRESQL_SCHEMA):
            with self.session_scope() as session:
                yield session.connection()
                session.commit()
            return
        with self.engine.begin() as connection:
            yield connection

    def _needed_slots(self, tracker: DialogueStateTracker) -> dict[str, Any]:
        """The current values of the active form's slots: what a form may still read on a later turn. A value
        left in any other slot (an entity the NLU took from a phone number) is not needed and is masked."""
        form = (self.domain.forms or {}).get(tracker.active_loop_name or "") if self.domain else None
        names = (form or {}).get("required_slots") or []
        return {name: tracker.get_slot(name) for name in names if name in tracker.slots}


def _masked_rows(rows: Iterable[Any], live_slots: dict[str, Any], live_numbers: set[str],
                 given: set[str]) -> list[tuple[int, str]]:
    """(id, new data) of the stored rows of this conversation session that hold what is no longer needed: slot
    values no longer current, the bot texts that showed them, and the citizen's copy of their data from an
    earlier turn. `rows`: (id, type_name, data) of the session's rows; `given` grows with the numbers released
    here."""
    parsed = []
    for row_id, type_name, raw in rows:
        if type_name not in REWRITABLE:
            continue
        try:
            parsed.append((row_id, json.loads(raw)))
        except (TypeError, ValueError):
            continue
    released = set(given)
    for _, data in parsed:
        if data.get("event") == "slot" and not _is_live(data.get("name"), data.get("value"), live_slots):
            released |= numbers_in(data.get("value"))
    last_action = None
    rewrites = []
    for row_id, data in parsed:
        kind = data.get("event")
        if kind == "action":
            last_action = data.get("name")
            continue
        if kind == "slot" and (data.get("value") is None or isinstance(data.get("value"), (bool, int, float))):
            continue
        masked = masked_event(data, live_slots, released, live_numbers,
                              personal_answer=kind == "bot" and last_action in PERSONAL_ANSWERS)
        if masked != data:
            rewrites.append((row_id, json.dumps(masked)))
    return rewrites
