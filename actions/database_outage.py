"""One place that answers politely when the office database is unreachable (restart, network cut).

Why here and not in each action: any action may touch the database, and without this an
OperationalError becomes a 500 to Rasa, which logs it and sends the citizen nothing at all. Every
action class of this package gets its `run` wrapped when the class is defined (`actions/__init__.py`
installs the hook before rasa_sdk imports the action modules): a database error becomes an apology
in the citizen's language and no events, so the conversation stays where it was and the citizen can
simply send the message again. The engine pings connections before use (office/db.py), so the first
message after the database is back works without restarting anything.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from rasa_sdk import Action
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from actions.common import language_of
from office.outage import UNAVAILABLE_TEXT

log = logging.getLogger(__name__)

DB_DOWN_TEXT = UNAVAILABLE_TEXT  # the same apology the Rasa server gives (office/outage.py)


# SQLite reports schema mistakes as OperationalError too: those are bugs (e.g. a missing migration), not outages.
_SCHEMA_ERRORS = ("no such table", "no such column", "syntax error", "has no column")


def _is_outage(exc: BaseException) -> bool:
    """Connection-level failures only; a bug (a wrong query, a constraint, a missing table) must still surface."""
    if isinstance(exc, OperationalError) and any(m in str(exc.orig).lower() for m in _SCHEMA_ERRORS):
        return False
    return isinstance(exc, (OperationalError, PoolTimeout)) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


def guard_run(run: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an action's `run` so that a database outage becomes a polite answer."""
    if getattr(run, "_database_outage_guard", False):
        return run

    @functools.wraps(run)
    async def guarded(self: Action, dispatcher: Any, tracker: Any, domain: Any) -> Any:
        try:
            result = run(self, dispatcher, tracker, domain)
            return await result if hasattr(result, "__await__") else result
        except Exception as exc:
            if not _is_outage(exc):
                raise
            log.warning("action %s: office database unreachable (%s); answered with an apology",
                        self.name(), exc.__class__.__name__)
            dispatcher.utter_message(text=DB_DOWN_TEXT[language_of(tracker)])
            return []

    guarded._database_outage_guard = True  # type: ignore[attr-defined]
    return guarded


def install() -> None:
    """Guard every Action subclass defined in this package from now on (idempotent)."""
    if getattr(Action, "_database_outage_hook", False):
        return
    previous = Action.__dict__.get("__init_subclass__")

    def init_subclass(cls: type, **kwargs: Any) -> None:
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(Action, cls).__init_subclass__(**kwargs)
        # own `run` or one inherited from rasa_sdk (FormValidationAction calls our validate_* methods)
        if cls.__module__.split(".")[0] == "actions" and not getattr(cls.run, "_database_outage_guard", False):
            cls.run = guard_run(cls.run)

    Action.__init_subclass__ = classmethod(init_subclass)  # type: ignore[assignment]
    Action._database_outage_hook = True  # type: ignore[attr-defined]
