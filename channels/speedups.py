"""Rasa 3.6.21 doing the same work for less CPU: patches measured with `make bench` and py-spy.

Each patch keeps Rasa's behaviour (the same checks, the same answers) and removes only repeated or blocking work
(numbers: 20 citizens, py-spy on the Rasa process, the machine's 2 cores):

- `RemoteAction._validate_action_result` checks every action server response against Rasa's response
  schema with `jsonschema.validate()`, which first validates the schema itself against the JSON Schema
  meta-schema and builds a new validator, on every custom action call. That was 39 % of the Rasa
  process's CPU at 20 citizens (py-spy, 80 ms per call on the loaded 2-core machine). Here the schema
  is checked once and its validator is kept: every response is still validated against the same schema
  and a bad one fails with the same message. The schema's events are a `oneOf` of 23 branches, one per
  event name, so each event was validated 23 times (2.6 % of the CPU even with the kept validator): a
  response is first checked with each event validated against the branch its name selects (the branches
  require different names, so that branch is the only one that can match: the same verdict), 14 ms ->
  1.2 ms for a response of 9 events; a response this check does not accept goes through the full
  validator, for the verdict and message Rasa gives.

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

- Every custom action call (the action itself, a form's validation, a slot question, a custom slot
  mapping) went through `EndpointConfig.request`, which opened a new aiohttp `ClientSession` and a new TCP
  connection to the action server each time (4-5 % of the Rasa process's CPU in connecting alone), and
  encoded the request with `json.dumps` (7 %), a third of it the domain, the same 20 KB every time. Now
  each endpoint keeps one session per event loop with a connection pool (no limit on the number of
  connections, as before); a pooled connection is reused only while it is idle for less than 2 s (the
  action server keeps one open for 120 s: the server never closes a connection this side may still pick)
  and only if nothing can be read from it at that instant (an idle HTTP connection receives nothing: a
  readable one was closed or reset by the server, e.g. a restarted action server); such a connection is
  dropped and the request goes out on a fresh one. So a request is never written to a connection known
  to be dead, and one that fails after it was written (the server died while it could have been running
  the action) is not sent again: it fails as it did before, and channels/outage.py apologises. The
  request body is the same bytes as `json.dumps` gives (the domain's part is encoded once per domain):
  0.71 -> 0.37 ms per body of the bench's conversations. py-spy: connecting 4.4 % -> 0.8 %, JSON 7.6 %
  -> 4.4 % of the Rasa process.

- The dialogue policies (MemoizationPolicy, RulePolicy) rebuild the conversation's states with
  `DialogueStateTracker.past_states`, which replays every event of the conversation into a fresh tracker
  (copying every slot with `copy.copy`, 46 slots): RulePolicy does it twice for the same tracker when no
  rule matched the text of the message. The states of one tracker are remembered for its current events
  (the number of events and the last event object: any new event changes the key) and the same
  arguments, on the tracker itself (they go when the tracker goes), and handed out as copies (the
  featurizers edit them). `Slot.__copy__` does what `copy.copy` did (a new object with the same
  attributes) without its generic reduce protocol: 2.5 -> 1.0 us per slot, 130 slot copies per
  prediction. Over 607 predictions replayed from bench conversations the predictions are identical.

  Together with the response check above, in one bench run beside one without them (10 citizens paced
  at 10 msg/s, the same 435 messages): Rasa 37.2 -> 33.1 ms of CPU per message, the action server
  16.3 -> 14.9 (it accepts fewer connections).

- Rasa runs its model's graph (the NLU pipeline per message, the policies per prediction) through dask,
  rebuilding, converting and scheduling the graph on every run, on one thread anyway. The same nodes are
  called in the same dependency order with the same inputs by `_sequential_run`: 12.5 -> 10.8 ms of CPU per
  parse.

`install()` is called once per Rasa process by channels/base.py (imported by every `rasa run` with
bot/credentials.yml), like channels/outage.py. A patch whose target is missing (another Rasa version)
is skipped with an error in the log, never half-applied.
"""
from __future__ import annotations

import copy
import copyreg
import functools
import gc
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


def _fast_validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Rasa's `_validate_action_result` with the schema checked and its validator built once per process."""
    from jsonschema import exceptions

    from rasa.shared.constants import DOCS_BASE_URL

    validator = type(self).__dict__.get("_speedups_validator") or _response_validator(type(self))
    accepts = type(self).__dict__.get("_speedups_accepts")
    if accepts is not None and accepts(result):
        return True
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
    owner._speedups_accepts = _event_dispatch(cls, schema)  # type: ignore[attr-defined]
    owner._speedups_validator = validator  # type: ignore[attr-defined]
    return validator


def _event_dispatch(cls: Any, schema: Dict[Text, Any]) -> Optional[Callable[[Any], bool]]:
    """A check that accepts only responses the whole schema accepts, validating each event against the one
    `oneOf` branch its "event" name selects instead of all 23 (responses it does not accept go through the
    full validator, for its verdict and its error message).

    Each branch requires `properties.event.const` (all different) and the event name is required: an event
    valid for its own branch fails every other one, so exactly one branch matches, as `oneOf` demands.
    None when the schema is not of that shape (another Rasa version).
    """
    try:
        events = schema["properties"]["events"]
        item = events["items"]
        branches = item["oneOf"]
        names = [branch["properties"]["event"]["const"] for branch in branches]
    except (KeyError, TypeError):
        return None
    if set(events) != {"type", "items"} or events["type"] != "array" or "event" not in item.get("required", ()) \
            or not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return None
    base = {key: value for key, value in item.items() if key != "oneOf"}
    per_name = {name: cls({**base, "allOf": [branch]}) for name, branch in zip(names, branches)}
    outer = cls({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})

    def accepts(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events", ()) if isinstance(result, dict) else ():
            name = event.get("event") if isinstance(event, dict) else None
            check = per_name.get(name) if isinstance(name, str) else None
            if check is None or not check.is_valid(event):
                return False
        return True
    return accepts


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


# ---------------------------------------------------------------------------------------------
# action server calls: one pooled session per endpoint, the domain's JSON encoded once

KEEPALIVE_SECONDS = 2.0  # well below the action server's keep-alive (rasa_sdk: 120 s, Sanic's default: 5 s)

# id(EndpointConfig) -> (weak reference to it, event loop, session); an entry goes with its endpoint
_sessions: Dict[int, Tuple[Any, Any, Any]] = {}
# the last domain dict sent and its JSON text (the domain is the same object for every call)
_domain_json: List[Any] = [None, ""]


def _json_text(value: Any) -> str:
    """The JSON of `value` as `json.dumps` reads back, for an action-server request body: a "domain" dict
    seen in the previous body is encoded only once, the rest (the tracker, 7 % of Rasa's CPU with `json`)
    by ujson, Rasa's own dependency and 2.5 times faster, with `json.dumps` taking over whatever ujson
    refuses (so `json.dumps`'s own errors stay as they were). Only the spacing differs from `json.dumps`.
    """
    if type(value) is not dict or "domain" not in value or any(type(key) is not str for key in value):
        return _dumps(value)
    parts = []
    for key, item in value.items():
        if key == "domain" and type(item) is dict:
            if _domain_json[0] is not item:
                _domain_json[:] = [item, json.dumps(item)]  # holds the dict: its id cannot be reused meanwhile
            encoded = _domain_json[1]
        else:
            encoded = _dumps(item)
        parts.append(f"{json.dumps(key)}: {encoded}")
    return "{" + ", ".join(parts) + "}"


def _dumps(value: Any) -> str:
    """ujson where it can (ASCII escapes like `json.dumps`, "/" left as it is), else `json.dumps`."""
    import ujson

    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):  # a set, bytes, an object, a cycle: json decides
        return json.dumps(value)


def _peer_gone(proto: Any) -> bool:
    """True when an idle pooled connection can be read from: the server closed or reset it (an idle
    HTTP/1.1 connection is never sent anything), or its transport is gone."""
    import select

    transport = getattr(proto, "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)  # POLLERR and POLLHUP are always reported
    return bool(poller.poll(0))


@functools.lru_cache(maxsize=None)
def _live_connector() -> type:
    """aiohttp's TCPConnector that hands out a pooled connection only if the server has not closed it."""
    from aiohttp import TCPConnector

    class LiveConnector(TCPConnector):
        def _get(self, key: Any) -> Any:
            while True:
                proto = super()._get(key)
                if proto is None or not _peer_gone(proto):
                    return proto
                transport = proto.transport
                proto.close()  # as aiohttp does with a connection it finds closed
                if key.is_ssl and not self._cleanup_closed_disabled and transport is not None:
                    self._cleanup_closed_transports.append(transport)

    return LiveConnector


def _drop_session(key: int) -> None:
    _sessions.pop(key, None)


def _pooled_session(config: Any) -> Any:
    """The endpoint's session on the running event loop: Rasa's `EndpointConfig.session()` settings
    (headers, basic auth, total timeout) plus a connection pool and the JSON encoder above."""
    import asyncio
    import weakref

    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    held = _sessions.get(id(config))
    if held is not None and held[0]() is config and held[1] is loop and not held[2].closed:
        return held[2]
    auth = aiohttp.BasicAuth(config.basic_auth["username"], config.basic_auth["password"]) \
        if config.basic_auth else None
    session = aiohttp.ClientSession(
        headers=config.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=_live_connector()(limit=0, keepalive_timeout=KEEPALIVE_SECONDS), json_serialize=_json_text)
    key = id(config)
    _sessions[key] = (weakref.ref(config, lambda _ref: _drop_session(key)), loop, session)
    return session


async def _pooled_request(self: Any, method: Text = "post", subpath: Optional[Text] = None,
                          content_type: Optional[Text] = "application/json", compress: bool = False,
                          **kwargs: Any) -> Optional[Any]:
    """Rasa's `EndpointConfig.request` (rasa/utils/endpoints.py, line for line) on the pooled session."""
    import os
    import ssl

    from aiohttp.client_exceptions import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(f"Failed to find certificate file, "
                                        f"'{os.path.abspath(self.cafile)}' does not exist.") from e
    session = _pooled_session(self)
    async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs),
                               compress=compress, ssl=sslcontext, **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


# ---------------------------------------------------------------------------------------------
# dialogue policies: states of a tracker computed once per content, cheaper slot copies

_STATES_ATTR = "_speedups_past_states"
_STATES_KEPT = 4  # (MemoizationPolicy's and RulePolicy's arguments differ: a few entries per tracker)


def _copy_states(states: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """States whose sub-state dicts can be edited (the featurizers delete keys of the last one)."""
    return [{name: dict(sub) if type(sub) is dict else sub for name, sub in state.items()} for state in states]


def _snapshot(arguments: Tuple[Any, ...]) -> Tuple[Any, ...]:
    """The arguments as they are now (a caller may edit its rule_only_data dict later)."""
    *flags, rule_only_data = arguments
    return (*flags, rule_only_snapshot(rule_only_data))


def rule_only_snapshot(rule_only_data: Any) -> Any:
    """A policy's rule_only_data as it is now, to compare with later: its lists copied, anything else
    deep-copied (channels.policy_speedups keys its shared states on it too)."""
    if isinstance(rule_only_data, dict) and all(type(v) is list for v in rule_only_data.values()):
        return {key: list(value) for key, value in rule_only_data.items()}
    return copy.deepcopy(rule_only_data)


def events_mark(tracker: Any) -> Tuple[Any, int, Any]:
    """The tracker's events as they are now: the same list object with the same length and the same last
    event means no event was added or removed since (what remembered states are keyed on)."""
    events = tracker.events
    return events, len(events), events[-1] if events else None


def same_events(mark: Tuple[Any, int, Any], now: Tuple[Any, int, Any]) -> bool:
    return mark[0] is now[0] and mark[1] == now[1] and mark[2] is now[2]


def _remembered_past_states(original: Callable[..., Any]) -> Callable[..., Any]:
    """`DialogueStateTracker.past_states` computed once for the tracker's current events and arguments."""
    def past_states(self: Any, domain: Any, omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                    rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Dict[Text, Any]]:
        mark = events_mark(self)
        arguments = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept = self.__dict__.get(_STATES_ATTR)
        if kept is None:
            kept = self.__dict__[_STATES_ATTR] = []
        for entry in kept:
            if same_events(entry[0], mark) and entry[1] is domain and entry[2] == arguments:
                return _copy_states(entry[3])
        states = original(self, domain, omit_unset_slots=omit_unset_slots,
                          ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)
        kept.insert(0, (mark, domain, _snapshot(arguments), _copy_states(states)))
        del kept[_STATES_KEPT:]
        return states
    return past_states


_PLAIN_COPY = {}  # class -> whether copy.copy of its instances is the generic reduce protocol


def _copy_slot(self: Any) -> Any:
    """`copy.copy(slot)`: what the generic protocol does for a plain object (a new instance of the class
    with the same `__dict__`), unless the class customises copying or pickling."""
    cls = type(self)
    plain = _PLAIN_COPY.get(cls)
    if plain is None:
        plain = _PLAIN_COPY[cls] = _copies_plainly(cls)
    if not plain or cls in copyreg.dispatch_table:
        return _generic_copy(self)
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def _copies_plainly(cls: type) -> bool:
    """No class of `cls` (but `object`) customises copying or pickling, nor has non-empty `__slots__`."""
    custom = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__getnewargs__",
              "__getnewargs_ex__")
    for klass in cls.__mro__[:-1]:
        own = klass.__dict__
        if any(name in own and own[name] is not _copy_slot for name in custom) or own.get("__slots__"):
            return False
    return cls.__mro__[-1] is object


def _generic_copy(obj: Any) -> Any:
    """copy.copy without the class's `__copy__` (this module's), for a class that customises copying."""
    cls = type(obj)
    reductor = copyreg.dispatch_table.get(cls)
    rv = reductor(obj) if reductor is not None else obj.__reduce_ex__(4)
    if isinstance(rv, str):
        return obj
    return copy._reconstruct(obj, None, *rv)  # type: ignore[attr-defined]


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
    _install_pooled_requests()
    _install_policy_patches()
    _install_sequential_graph_runner()
    from channels import nlu_speedups, policy_speedups

    policy_speedups.install()  # below _install_policy_patches's remembered past_states, in any order
    nlu_speedups.install()


def _install_pooled_requests() -> None:
    from aiohttp import TCPConnector
    from rasa.utils.endpoints import EndpointConfig

    if not callable(EndpointConfig.__dict__.get("request")) or not callable(getattr(TCPConnector, "_get", None)):
        log.error("channels.speedups: EndpointConfig.request or aiohttp's TCPConnector._get not found; "
                  "a new connection per action call")
        return
    EndpointConfig.request = _pooled_request  # type: ignore[method-assign]


def _install_policy_patches() -> None:
    from rasa.shared.core.slots import Slot
    from rasa.shared.core.trackers import DialogueStateTracker

    original_states = DialogueStateTracker.__dict__.get("past_states")
    if callable(original_states):
        DialogueStateTracker.past_states = functools.wraps(original_states)(  # type: ignore[method-assign]
            _remembered_past_states(original_states))
    else:
        log.error("channels.speedups: DialogueStateTracker.past_states not found; states computed every time")
    if "__copy__" not in Slot.__dict__ and _copies_plainly(Slot):
        Slot.__copy__ = _copy_slot  # type: ignore[attr-defined]
    else:
        log.error("channels.speedups: Slot customises copying; copy.copy left as it is")



# ---------------------------------------------------------------------------------------------
# the model's graph, run in order without dask

def _graph_plan(runner: Any, targets: Tuple[Text, ...]) -> List[Tuple[Text, Tuple[Text, ...]]]:
    """The nodes `targets` need, parents before children, each with the names of its inputs in the order
    the node takes them. Computed once per set of targets (the schema of a loaded model does not change)."""
    from graphlib import TopologicalSorter

    plans = runner.__dict__.setdefault("_speedups_plans", {})
    plan = plans.get(targets)
    if plan is None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        needs = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
        # run inputs (`__message__`, `__tracker__`) are no nodes: they come first and are left out
        order = [name for name in TopologicalSorter(needs).static_order() if name in needs]
        plan = [(name, needs[name]) for name in order]
        plans[targets] = plan
    return plan


def _sequential_run(self: Any, inputs: Optional[Dict[Text, Any]] = None,
                    targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """`DaskGraphRunner.run` without dask: the same nodes called with the same inputs, one after another.

    Why: Rasa runs its model (the NLU pipeline for each message, the policies for each prediction, several
    per message) through `dask.get`, which on every run rebuilds the minimal graph, converts it to a dask
    graph, orders it and schedules each node through dask's local executor, on one thread anyway. That
    bookkeeping was 9 % of the CPU of a parse (py-spy, 12.5 -> 10.8 ms per parse with this patch) and about
    4 % of the Rasa process under `make bench`. Each node gets the `(node name, value)` results of its parents,
    as under dask, and the result is the same `{target: value}` mapping; an input named like a node is
    refused with Rasa's message, and a RuntimeError in a node becomes Rasa's GraphRunError, as before."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plan = _graph_plan(self, run_targets)
    results: Dict[Text, Any] = {}
    nodes = {name for name, _ in plan}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(  # Rasa's own check and message (DaskGraphRunner._add_inputs_to_graph)
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema.")
        results[name] = (name, value)
    try:
        for name, needs in plan:
            results[name] = self._instantiated_nodes[name](*(results[need] for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[target] for target in run_targets)


def _install_sequential_graph_runner() -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    needed = ("_graph_schema", "_instantiated_nodes")
    if not callable(DaskGraphRunner.__dict__.get("run")) or not all(
            name in DaskGraphRunner.__init__.__code__.co_names for name in needed):
        log.error("channels.speedups: DaskGraphRunner.run or its attributes not found; the graph runs on dask")
        return
    DaskGraphRunner.run = _sequential_run  # type: ignore[method-assign]
