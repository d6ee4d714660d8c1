"""Rasa 3.6.21 doing the same work for less CPU: patches measured with `make bench` and py-spy.

Each patch keeps Rasa's behaviour (the same checks, the same answers) and removes only repeated or blocking work
(numbers: 20 citizens, py-spy on the Rasa process, the machine's 2 cores):

- `RemoteAction._validate_action_result` checks every action server response against Rasa's response
  schema with `jsonschema.validate()`, which first validates the schema itself against the JSON Schema
  meta-schema and builds a new validator, on every custom action call. That was 39 % of the Rasa
  process's CPU at 20 citizens (py-spy, 80 ms per call on the loaded 2-core machine). Here the schema
  is checked once and its validator is kept: every response is still validated against the same schema
  and a bad one fails with the same message.

- `Event.resolve_by_type`, called for every event Rasa reads back (the tracker store loads the whole
  conversation for each message, the action server's answer adds more), walks all subclasses of `Event`
  with `inspect.isabstract` each time to find the class of one type name: 6 % of the CPU. Here the class
  found for a type name is remembered; a name not seen yet (or unknown) still goes through Rasa's lookup.

- Rasa's SQL tracker store opens its SQLite file with SQLite's defaults (rollback journal, a full sync
  of the journal and the file on every commit) and, through SQLAlchemy 1.4's NullPool, a new connection
  for every read and every save. One commit measured 30 ms on this disk, spent on Rasa's event loop, so
  every other conversation waited meanwhile; and in WAL mode, closing the last connection checkpoints
  the whole log back into the file with a sync. So for a SQLite file the tracker store now keeps its
  connections in a pool (SQLAlchemy 2's default for SQLite files), and every SQLite connection in the
  Rasa process uses WAL (as office/db.py does for the office database) with `synchronous=NORMAL`:
  0.01 ms per commit. A crash of Rasa loses nothing committed; only an operating-system crash or a power
  cut can lose the last commits before a checkpoint (SQLite's documented trade-off for WAL + NORMAL),
  never corrupt the file. PostgreSQL is untouched.

- Full garbage collections walked every object of TensorFlow, Rasa and the loaded model (over a million,
  all long-lived): 200-400 ms stalls of every conversation every few seconds under load (measured with
  `gc.callbacks`). Once a model is loaded its objects are frozen (`gc.freeze()`), so collections scan
  only what the conversations create.

- TensorFlow's default thread pools span both cores for every small DIET inference while the action
  server (sentence embeddings) and the other Rasa worker need them too: one thread each measured 2-3 ms
  less CPU per message and more messages/s at 20 citizens. Rasa's own TF_INTER_OP_PARALLELISM_THREADS /
  TF_INTRA_OP_PARALLELISM_THREADS still win when set (Rasa applies them before this runs).

`install()` is called once per Rasa process by channels/base.py (imported by every `rasa run` with
bot/credentials.yml), like channels/outage.py. A patch whose target is missing (another Rasa version)
is skipped with an error in the log, never half-applied.
"""
from __future__ import annotations

import functools
import gc
import logging
from typing import Any, Callable, Dict, Text

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


def _fast_validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Rasa's `_validate_action_result` with the schema checked and its validator built once per process."""
    from jsonschema import exceptions

    from rasa.shared.constants import DOCS_BASE_URL

    validator = type(self).__dict__.get("_speedups_validator") or _response_validator(type(self))
    error = exceptions.best_match(validator.iter_errors(result))
    if error is not None:
        error.message += (  # Rasa's own message (rasa/core/actions/action.py)
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _response_validator(owner: type) -> Any:
    from jsonschema import validators

    schema = owner.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate() did on every call, now once
    validator = cls(schema)
    owner._speedups_validator = validator  # type: ignore[attr-defined]
    return validator


def _cached_resolve_by_type(original: Callable[..., Any]) -> Callable[..., Any]:
    """`Event.resolve_by_type` remembering the class found for each type name (never the `default`)."""
    found: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and getattr(cls, "type_name", None) == type_name:
                found[type_name] = cls
        return cls
    return resolve_by_type


def _freezing_load_model(original: Callable[..., Any]) -> Callable[..., Any]:
    """`Agent.load_model`, then the heap as it stands (the model, TensorFlow, Rasa) frozen for the GC."""
    def load_model(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        gc.collect()
        gc.freeze()
        return result
    return load_model


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """WAL, commits without a sync each, and a busy timeout for every SQLite connection Rasa opens
    (the tracker store uses SQLAlchemy's NullPool for SQLite files: this runs on each connection)."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _pooled_sqlite(original: Callable[..., Dict[Text, Any]]) -> Callable[..., Dict[Text, Any]]:
    """Rasa's `create_engine_kwargs`, plus a connection pool for a SQLite file."""
    def create_engine_kwargs(url: Any) -> Dict[Text, Any]:
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import QueuePool

        kwargs = original(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", QueuePool)
            # a pooled connection may serve a later session on another thread (one session at a time)
            kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        return kwargs
    return create_engine_kwargs


def _one_tensorflow_thread() -> None:
    """One inter-op and one intra-op thread unless Rasa's environment variables already chose (0 = unset)."""
    try:
        from tensorflow import config as tf_config

        if tf_config.threading.get_inter_op_parallelism_threads() == 0:
            tf_config.threading.set_inter_op_parallelism_threads(1)
        if tf_config.threading.get_intra_op_parallelism_threads() == 0:
            tf_config.threading.set_intra_op_parallelism_threads(1)
    except (ImportError, RuntimeError) as exc:  # RuntimeError: TensorFlow already initialised its pools
        log.warning("channels.speedups: TensorFlow threads left as they are (%s)", exc)


def install() -> None:
    """Apply the patches once per process (idempotent)."""
    import rasa
    from rasa.core import tracker_store
    from rasa.core.agent import Agent
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if getattr(RemoteAction, "_speedups_installed", False):
        return
    RemoteAction._speedups_installed = True  # type: ignore[attr-defined]
    if rasa.__version__ != RASA_VERSION:
        log.warning("channels.speedups was measured on Rasa %s, this is %s", RASA_VERSION, rasa.__version__)

    if "_validate_action_result" in RemoteAction.__dict__ and hasattr(RemoteAction, "action_response_format_spec"):
        RemoteAction._validate_action_result = _fast_validate_action_result  # type: ignore[method-assign]
    else:
        log.error("channels.speedups: RemoteAction._validate_action_result not found; not patched")

    original_resolve = Event.__dict__.get("resolve_by_type")
    if isinstance(original_resolve, staticmethod):
        Event.resolve_by_type = staticmethod(_cached_resolve_by_type(original_resolve.__func__))  # type: ignore
    else:
        log.error("channels.speedups: Event.resolve_by_type is not a staticmethod; not patched")

    original_kwargs = getattr(tracker_store, "create_engine_kwargs", None)
    if original_kwargs is None:
        log.error("channels.speedups: rasa.core.tracker_store.create_engine_kwargs not found; SQLite not pooled")
    else:
        tracker_store.create_engine_kwargs = functools.wraps(original_kwargs)(_pooled_sqlite(original_kwargs))
    original_load = Agent.__dict__.get("load_model")
    if callable(original_load):
        Agent.load_model = functools.wraps(original_load)(_freezing_load_model(original_load))  # type: ignore
    else:
        log.error("channels.speedups: Agent.load_model not found; the model's objects are not frozen")
    event.listen(Engine, "connect", _sqlite_wal)
    _one_tensorflow_thread()
