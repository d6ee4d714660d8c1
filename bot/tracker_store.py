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

import json
import logging
from typing import Any, Iterable

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from office.privacy import mask_nik, mask_numbers, mask_personal_data, personal_numbers

logger = logging.getLogger(__name__)
# Actions whose whole answer is the citizen's own data (read from the office database, not from this tracker).
PERSONAL_ANSWERS = frozenset({"action_privacy_export"})


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


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores masked events and masks earlier rows once they are no longer needed."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        live_slots = self._needed_slots(tracker)
        live_numbers = numbers_in(list(live_slots.values()))
        with self.session_scope() as session:
            new_events: list[Event] = list(self._additional_events(session, tracker))
            given = set(live_numbers)
            for event in new_events:
                if isinstance(event, UserUttered):
                    given |= personal_numbers(event.text or "")
                elif isinstance(event, SlotSet):
                    given |= numbers_in(event.value)
            self._mask_earlier_rows(session, tracker.sender_id, live_slots, live_numbers, given)
            for event in new_events:  # this turn's own answers stay readable (the web chat shows them now)
                data = masked_event(event.as_dict(), live_slots, given, live_numbers)
                intent = (data.get("parse_data", {}) or {}).get("intent", {}) or {}
                session.add(self.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                          timestamp=data.get("timestamp"), intent_name=intent.get(INTENT_NAME_KEY),
                                          action_name=data.get("name"), data=json.dumps(data)))
            session.commit()
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database (masked)")

    def _needed_slots(self, tracker: DialogueStateTracker) -> dict[str, Any]:
        """The current values of the active form's slots: what a form may still read on a later turn. A value
        left in any other slot (an entity the NLU took from a phone number) is not needed and is masked."""
        form = (self.domain.forms or {}).get(tracker.active_loop_name or "") if self.domain else None
        names = (form or {}).get("required_slots") or []
        return {name: tracker.get_slot(name) for name in names if name in tracker.slots}

    def _mask_earlier_rows(self, session: Any, sender_id: str, live_slots: dict[str, Any], live_numbers: set[str],
                           given: set[str]) -> None:
        """Rewrite the stored rows of this conversation session that hold what is no longer needed: slot values
        no longer current, the bot texts that showed them, and the citizen's copy of their data from an earlier
        turn. `given` grows with the numbers released here."""
        rows: Iterable[Any] = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).filter(
            self.SQLEvent.type_name.in_((SlotSet.type_name, BotUttered.type_name, ActionExecuted.type_name))).all()
        parsed = []
        for row in rows:
            try:
                parsed.append((row, json.loads(row.data)))
            except (TypeError, ValueError):
                continue
        released = set(given)
        for row, data in parsed:
            if data.get("event") == "slot" and not _is_live(data.get("name"), data.get("value"), live_slots):
                released |= numbers_in(data.get("value"))
        last_action = None
        for row, data in parsed:
            kind = data.get("event")
            if kind == "action":
                last_action = data.get("name")
                continue
            if kind == "slot" and (data.get("value") is None or isinstance(data.get("value"), (bool, int, float))):
                continue
            masked = masked_event(data, live_slots, released, live_numbers,
                                  personal_answer=kind == "bot" and last_action in PERSONAL_ANSWERS)
            if masked != data:
                row.data = json.dumps(masked)
