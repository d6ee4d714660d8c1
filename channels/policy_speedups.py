"""Rasa 3.6.21's dialogue policies (MemoizationPolicy + RulePolicy) predicting the same actions for less CPU.

Why (py-spy on the Rasa process under `make bench`, ~21 ms of CPU per user message, 2-3 predictions each):
RulePolicy was 10 % of the process, MemoizationPolicy 5 %, rebuilding the conversation's states 7 %.

- `RulePolicy._get_possible_keys` tests every rule (209 in this bot) against the last state of the conversation,
  for each prediction and twice after a user message (text, then intent): `_is_rule_applicable` copies and
  reverses the rule's parsed states for each rule at each turn. Here each rule is parsed once per loaded lookup
  into its checks (the same comparisons `_does_rule_match_state` makes, in the same order), and rules are
  indexed by the previous action and the intent their last state requires: only the rules that can match the
  last state are tested, on every turn as Rasa tests them. The set of applicable rules is the same; when several
  applicable rules share the greatest length (Rasa then takes whichever its set yields first), Rasa's own
  `_get_possible_keys` is asked again, so the same rule is chosen.
- Both policies format the states for a debug log on every prediction (`format_tracker_states`, `copy.deepcopy`)
  even when debug logging is off, where structlog drops the call. That work is skipped only when structlog's
  debug is a no-op; with debug logging on, Rasa's own methods run (the same log lines).
- MemoizationPolicy asks for the states without rule-only turns, RulePolicy for all turns: each replays every
  event of the conversation into a fresh tracker (`Domain.states_for_tracker_history`). One replay now builds
  both lists; the other one is left on the tracker for the other policy's call at the same events (the same
  check as channels/speedups.py's remembered states: the events object, their number, the last event, the domain
  and the arguments).

Every prediction (probabilities, policy name, events, end-to-end flag, hide_rule_turn, the rule chosen) is the
one Rasa gives: tests/unit/policy_speedups_probe.py replays the stories, rules and test stories and randomly
perturbed conversations with and without these patches. A patch whose target differs from what it expects
(another Rasa version, a subclass overriding a helper) is skipped with an error in the log, never half-applied.
"""
from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

from channels.speedups import events_mark, rule_only_snapshot, same_events

log = logging.getLogger(__name__)

_INSTALLED_FLAG = "_policy_speedups_installed"
_INDEX_ATTR = "_policy_speedups_rule_index"
_OTHER_STATES_ATTR = "_policy_speedups_other_states"
_ANY = object()  # an index slot a rule leaves free

# A compiled rule state: (has a previous action, ((state type, ((key, value, must_be_unset), ...)), ...))
_Checks = Tuple[Tuple[Text, Tuple[Tuple[Text, Any, bool], ...]], ...]
_Compiled = Tuple[Tuple[bool, _Checks], ...]


def _structlog_debug_is_off() -> bool:
    """True when structlog drops debug calls before any processor runs (Rasa's `configure_structlog` at INFO or
    above), so the debug-only work in the policies has no effect."""
    import structlog

    wrapper = structlog.get_config().get("wrapper_class")
    return getattr(getattr(wrapper, "debug", None), "__name__", None) == "_nop"


# ---------------------------------------------------------------------------------------------------- rule index

def _compile_rule(rule_key: Text, should_not_be_set: Text, previous_action: Text) -> Optional[_Compiled]:
    """The rule's states, last first, as the checks `_does_rule_match_state` makes (None: not of the shape
    expected, the lookup is then left to Rasa)."""
    states = json.loads(rule_key)
    if not isinstance(states, list):
        return None
    compiled = []
    for rule_state in reversed(states):
        if not isinstance(rule_state, dict):
            return None
        checks = []
        for state_type, sub_state in rule_state.items():
            if not isinstance(sub_state, dict):
                return None
            entries = []
            for key, value in sub_state.items():
                if isinstance(value, list):  # json gives lists for the tuples of the states
                    value = tuple(value)
                if value == should_not_be_set:
                    entries.append((key, value, True))
                elif value:
                    entries.append((key, value, False))
                # a falsy value constrains nothing
            checks.append((state_type, tuple(entries)))
        compiled.append((bool(rule_state.get(previous_action)), tuple(checks)))
    return tuple(compiled)


def _state_matches(has_previous_action: bool, checks: _Checks, state: Dict[Text, Any], should_not_be_set: Text,
                   previous_action: Text) -> bool:
    """`RulePolicy._is_rule_applicable` for one turn the rule covers (`_does_rule_match_state` included)."""
    current_previous_action = state.get(previous_action)
    if not has_previous_action and not current_previous_action:
        return True
    if not has_previous_action or not current_previous_action:
        return False
    for state_type, entries in checks:
        conversation_sub_state = state.get(state_type, {})
        for key, value, must_be_unset in entries:
            value_from_conversation = conversation_sub_state.get(key)
            if must_be_unset:
                if value_from_conversation and value_from_conversation != should_not_be_set:
                    return False
            elif value_from_conversation != value:
                return False
    return True


class _RuleIndex:
    """The rules of one lookup dict, compiled, and grouped by the previous action name and the intent their last
    state requires (`_ANY` where it requires none)."""

    def __init__(self, lookup: Dict[Text, Text], constants: Dict[Text, Text]) -> None:
        self.constants = constants
        self.rules: Dict[Text, _Compiled] = {}
        self.buckets: Dict[Tuple[Any, Any], List[Text]] = defaultdict(list)
        for rule_key in lookup:
            compiled = _compile_rule(rule_key, constants["should_not_be_set"], constants["previous_action"])
            if compiled is None or not isinstance(rule_key, str):
                raise ValueError("a rule key of an unexpected shape")
            self.rules[rule_key] = compiled
            self.buckets[self._bucket_of(compiled)].append(rule_key)

    def _bucket_of(self, compiled: _Compiled) -> Tuple[Any, Any]:
        if not compiled or not compiled[0][0]:
            return _ANY, _ANY  # a rule starting the conversation (no previous action in its last state)
        required = {(state_type, key): value for state_type, entries in compiled[0][1]
                    for key, value, must_be_unset in entries if not must_be_unset and type(value) is str}
        c = self.constants
        return (required.get((c["previous_action"], c["action_name"]), _ANY),
                required.get((c["user"], c["intent"]), _ANY))

    def candidates(self, last_state: Dict[Text, Any]) -> Sequence[Text]:
        """The rules that can apply to a conversation whose last state is `last_state`: a rule left out requires a
        previous action or an intent that this state does not have (Rasa's first turn check would fail it)."""
        c = self.constants
        previous = last_state.get(c["previous_action"])
        if not previous:
            return self.buckets.get((_ANY, _ANY), ())
        if not isinstance(previous, dict):
            return list(self.rules)
        action_name = previous.get(c["action_name"])
        user = last_state.get(c["user"], {})
        intent = user.get(c["intent"]) if isinstance(user, dict) else None
        if not (action_name is None or type(action_name) is str) or not (intent is None or type(intent) is str):
            return list(self.rules)
        found: List[Text] = []
        for bucket in ((action_name, intent), (action_name, _ANY), (_ANY, intent), (_ANY, _ANY)):
            found.extend(self.buckets.get(bucket, ()))
        return found

    def applicable(self, states: List[Dict[Text, Any]]) -> List[Text]:
        """The keys `RulePolicy._get_possible_keys` keeps (as a list: its set's order is Rasa's own)."""
        if not states:
            return list(self.rules)
        c = self.constants
        should_not_be_set, previous_action = c["should_not_be_set"], c["previous_action"]
        reversed_states = states[::-1]
        kept = []
        for rule_key in self.candidates(reversed_states[0]):
            compiled = self.rules[rule_key]
            if all(_state_matches(has_previous, checks, state, should_not_be_set, previous_action)
                   for (has_previous, checks), state in zip(compiled, reversed_states)):
                kept.append(rule_key)
        return kept


def _rule_index(policy: Any, lookup: Any, constants: Dict[Text, Text]) -> Optional[_RuleIndex]:
    """The index of `lookup`, built once per lookup dict of the policy (the loaded model's lookup does not change;
    a dict replaced or resized gets a new index). None when a rule is not of the shape expected."""
    indexes = policy.__dict__.setdefault(_INDEX_ATTR, {})
    held = indexes.get(id(lookup))
    if held is None or held[0] is not lookup or held[1] != len(lookup):
        try:
            index: Optional[_RuleIndex] = _RuleIndex(lookup, constants)
        except (ValueError, TypeError, AttributeError):
            index = None
            log.error("channels.policy_speedups: a rule of this model is not of the shape expected; "
                      "rules are matched by Rasa")
        held = indexes[id(lookup)] = (lookup, len(lookup), index)
    return held[2]


# ---------------------------------------------------------------------------------------------------- RulePolicy

def _fast_find_action_from_rules(original: Callable[..., Any], constants: Dict[Text, Text]) -> Callable[..., Any]:
    """`RulePolicy._find_action_from_rules` with the rule index (Rasa's own method while debug logging is on)."""
    from rasa.core.policies import rule_policy as rp
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.trackers import get_active_loop_name

    def find_action_from_rules(self: Any, tracker: Any, domain: Any,
                               use_text_for_last_user_input: bool) -> Tuple[Optional[Text], Optional[Text], bool]:
        if not _structlog_debug_is_off():
            return original(self, tracker, domain, use_text_for_last_user_input)
        if use_text_for_last_user_input and not tracker.latest_action_name == ACTION_LISTEN_NAME:
            return None, None, False

        rules = self.lookup[rp.RULES]
        index = _rule_index(self, rules, constants)
        active_loop_name = tracker.active_loop_name
        unhappy = self.lookup[rp.RULES_FOR_LOOP_UNHAPPY_PATH] if active_loop_name else None
        unhappy_index = _rule_index(self, unhappy, constants) if active_loop_name else None
        if index is None or (active_loop_name and unhappy_index is None):
            return original(self, tracker, domain, use_text_for_last_user_input)

        states = self._prediction_states(tracker, domain, use_text_for_last_user_input,
                                         rule_only_data=self._get_rule_only_data())
        returning_from_unhappy_path = False
        rule_keys = index.applicable(states)
        predicted_action_name = None
        best_rule_key = ""
        if rule_keys:
            longest = max(len(key) for key in rule_keys)
            best = [key for key in rule_keys if len(key) == longest]
            # a tie is decided by the order of Rasa's set: ask Rasa for it
            best_rule_key = best[0] if len(best) == 1 else max(self._get_possible_keys(rules, states), key=len)
            predicted_action_name = rules.get(best_rule_key)

        if active_loop_name:
            unhappy_path_conditions = [unhappy.get(key) for key in unhappy_index.applicable(states)]
            predicted_listen_from_general_rule = (
                predicted_action_name == ACTION_LISTEN_NAME
                and not get_active_loop_name(self._rule_key_to_state(best_rule_key)[-1]))
            if predicted_listen_from_general_rule:
                if rp.DO_NOT_PREDICT_LOOP_ACTION not in unhappy_path_conditions:
                    rp.logger.debug(f"Predicted loop '{active_loop_name}' by overwriting "
                                    f"'{ACTION_LISTEN_NAME}' predicted by general rule.")
                    return active_loop_name, best_rule_key, returning_from_unhappy_path
                predicted_action_name = None
            if rp.LOOP_WAS_INTERRUPTED in unhappy_path_conditions:
                rp.logger.debug("Returning from unhappy path. Loop will be notified that it was interrupted.")
                returning_from_unhappy_path = True

        if predicted_action_name is not None:
            rp.logger.debug(f"There is a rule for the next action '{predicted_action_name}'.")
        else:
            rp.logger.debug("There is no applicable rule.")
        return predicted_action_name, best_rule_key or self._create_feature_key(states), returning_from_unhappy_path

    return find_action_from_rules


# ---------------------------------------------------------------------------------------------------- Memoization

def _fast_memoization_predict(original: Callable[..., Any]) -> Callable[..., Any]:
    """`MemoizationPolicy.predict_action_probabilities` without deep-copying the states for a dropped debug log."""
    from rasa.core.policies import memoization

    def predict_action_probabilities(self: Any, tracker: Any, domain: Any,
                                     rule_only_data: Optional[Dict[Text, Any]] = None, **kwargs: Any) -> Any:
        if not _structlog_debug_is_off():
            return original(self, tracker, domain, rule_only_data=rule_only_data, **kwargs)
        result = self._default_predictions(domain)
        states = self._prediction_states(tracker, domain, rule_only_data=rule_only_data)
        predicted_action_name = self.recall(states, tracker, domain, rule_only_data=rule_only_data)
        if predicted_action_name is not None:
            memoization.logger.debug(f"There is a memorised next action '{predicted_action_name}'")
            result = self._prediction_result(predicted_action_name, tracker, domain)
        else:
            memoization.logger.debug("There is no memorised next action")
        return self._prediction(result)

    return predict_action_probabilities


# ---------------------------------------------------------------------------------------------------- states

def _copy_sub_states(state: Dict[Text, Any]) -> Dict[Text, Any]:
    """A state whose sub-state dicts are new (what a second `get_active_state` call would give)."""
    return {name: dict(sub) if type(sub) is dict else sub for name, sub in state.items()}


def _both_state_lists(domain: Any, tracker: Any, rule_only_data: Dict[Text, Any],
                      previous_action: Text) -> Tuple[List[Dict[Text, Any]], List[Dict[Text, Any]]]:
    """`Domain.states_for_tracker_history` for all turns and without rule-only turns, from one replay: Rasa's
    loop (rasa/shared/core/domain.py) run once with both outcomes kept."""
    every_turn: List[Dict[Text, Any]] = []
    ml_turns: List[Dict[Text, Any]] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for tr, hide_rule_turn in tracker.generate_all_prior_trackers():
        state = domain.get_active_state(tr)
        ml_state = _copy_sub_states(state)
        every_turn.append(domain._clean_state(state))

        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            turn_was_hidden = hide_rule_turn
        if turn_was_hidden:
            continue
        domain._remove_rule_only_features(ml_state, rule_only_data)
        if ml_turns:
            domain._substitute_rule_only_user_input(ml_state, ml_turns[-1])
        if last_ml_action_sub_state:
            ml_state[previous_action] = last_ml_action_sub_state
        ml_turns.append(domain._clean_state(ml_state))
    return every_turn, ml_turns


def _shared_states_for_tracker_history(original: Callable[..., Any], domain_class: type, tracker_class: type,
                                       previous_action: Text) -> Callable[..., Any]:
    """`Domain.states_for_tracker_history` building both policies' states in one replay when called as the
    policies call it (a rule_only_data dict, all slots); any other call is Rasa's own."""
    replay = tracker_class.__dict__["generate_all_prior_trackers"]

    def states_for_tracker_history(self: Any, tracker: Any, omit_unset_slots: bool = False,
                                   ignore_rule_only_turns: bool = False,
                                   rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Dict[Text, Any]]:
        if (omit_unset_slots or type(rule_only_data) is not dict or type(self) is not domain_class
                or not isinstance(tracker, tracker_class)
                or getattr(type(tracker), "generate_all_prior_trackers", None) is not replay):
            return original(self, tracker, omit_unset_slots=omit_unset_slots,
                            ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)
        mark = events_mark(tracker)
        wanted = bool(ignore_rule_only_turns)
        left = tracker.__dict__.pop(_OTHER_STATES_ATTR, None)
        if left is not None:
            left_mark, left_domain, left_ignore, left_data, left_states = left
            if (same_events(left_mark, mark) and left_domain is self and left_ignore == wanted
                    and left_data == rule_only_data):
                return left_states
        every_turn, ml_turns = _both_state_lists(self, tracker, rule_only_data, previous_action)
        mine, other = (ml_turns, every_turn) if wanted else (every_turn, ml_turns)
        tracker.__dict__[_OTHER_STATES_ATTR] = (mark, self, not wanted, rule_only_snapshot(rule_only_data), other)
        return mine

    return states_for_tracker_history


# ---------------------------------------------------------------------------------------------------- install

def _rule_constants() -> Dict[Text, Text]:
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
    from rasa.shared.nlu.constants import ACTION_NAME, INTENT

    return {"previous_action": PREVIOUS_ACTION, "should_not_be_set": SHOULD_NOT_BE_SET, "user": USER,
            "action_name": ACTION_NAME, "intent": INTENT}


def _expected_rule_policy() -> bool:
    """RulePolicy has the helpers the index reproduces, with the code this module was written against."""
    from rasa.core.policies import rule_policy as rp

    cls = rp.RulePolicy
    needed = ("_find_action_from_rules", "_get_possible_keys", "_is_rule_applicable", "_does_rule_match_state",
              "_rule_key_to_state", "_get_rule_only_data", "_create_feature_key")
    if not all(name in cls.__dict__ for name in needed):
        return False
    if not all(hasattr(rp, name) for name in ("RULES", "RULES_FOR_LOOP_UNHAPPY_PATH", "DO_NOT_PREDICT_LOOP_ACTION",
                                              "LOOP_WAS_INTERRUPTED", "logger")):
        return False
    find_names = set(cls.__dict__["_find_action_from_rules"].__code__.co_names)
    return {"_get_possible_keys", "_prediction_states", "format_tracker_states", "_create_feature_key",
            "RULES_FOR_LOOP_UNHAPPY_PATH"} <= find_names


def _install_rule_policy() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    if not _expected_rule_policy():
        log.error("channels.policy_speedups: RulePolicy is not the one expected; rules are matched by Rasa")
        return
    original = RulePolicy.__dict__["_find_action_from_rules"]
    patched = functools.wraps(original)(_fast_find_action_from_rules(original, _rule_constants()))

    def find_action_from_rules(self: Any, tracker: Any, domain: Any, use_text_for_last_user_input: bool) -> Any:
        # a subclass changing how a rule is matched gets Rasa's own method
        cls = type(self)
        if cls is not RulePolicy and any(getattr(cls, name) is not getattr(RulePolicy, name) for name in (
                "_get_possible_keys", "_is_rule_applicable", "_does_rule_match_state", "_rule_key_to_state")):
            return original(self, tracker, domain, use_text_for_last_user_input)
        return patched(self, tracker, domain, use_text_for_last_user_input)

    RulePolicy._find_action_from_rules = functools.wraps(original)(find_action_from_rules)  # type: ignore


def _install_memoization() -> None:
    from rasa.core.policies.memoization import MemoizationPolicy

    original = MemoizationPolicy.__dict__.get("predict_action_probabilities")
    names = set(getattr(getattr(original, "__code__", None), "co_names", ()))
    if not {"_prediction_states", "recall", "_prediction_result", "_prediction", "deepcopy"} <= names:
        log.error("channels.policy_speedups: MemoizationPolicy.predict_action_probabilities is not the one "
                  "expected; left as it is")
        return
    MemoizationPolicy.predict_action_probabilities = functools.wraps(original)(  # type: ignore[method-assign]
        _fast_memoization_predict(original))


def _install_shared_states() -> None:
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    original = Domain.__dict__.get("states_for_tracker_history")
    helpers = ("get_active_state", "_clean_state", "_get_prev_action_sub_state", "_remove_rule_only_features",
               "_substitute_rule_only_user_input")
    names = set(getattr(getattr(original, "__code__", None), "co_names", ()))
    if (not all(name in Domain.__dict__ for name in helpers) or not set(helpers) <= names
            or "generate_all_prior_trackers" not in names
            or "generate_all_prior_trackers" not in DialogueStateTracker.__dict__):
        log.error("channels.policy_speedups: Domain.states_for_tracker_history is not the one expected; "
                  "each policy replays the conversation")
        return
    Domain.states_for_tracker_history = functools.wraps(original)(  # type: ignore[method-assign]
        _shared_states_for_tracker_history(original, Domain, DialogueStateTracker, PREVIOUS_ACTION))


def install() -> None:
    """Apply the patches once per process (idempotent)."""
    from rasa.core.policies.rule_policy import RulePolicy

    if getattr(RulePolicy, _INSTALLED_FLAG, False):
        return
    setattr(RulePolicy, _INSTALLED_FLAG, True)
    try:
        import structlog  # noqa: F401  (the debug check reads its configuration)
    except ImportError:
        log.error("channels.policy_speedups: structlog not found; policies left as they are")
        return
    _install_rule_policy()
    _install_memoization()
    _install_shared_states()
