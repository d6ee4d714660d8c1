"""channels/policy_speedups.py against Rasa's own policies, inside the Rasa environment; run by
test_policy_speedups.py.

    .venv-rasa/bin/python tests/unit/policy_speedups_probe.py

Loads the trained model as `rasa run` does (channels.speedups installed, structlog configured at INFO), builds
conversations (every story and rule of bot/data and every test story replayed step by step, conversations that
follow the bot's own predictions with random user turns and simulated forms, and randomly perturbed copies: wrong
intents, forms interrupted, unknown slot values, reverts and restarts), predicts every step with Rasa's policies,
then with the patches, and compares everything each policy returns. Prints one JSON line.
"""
from __future__ import annotations

import glob
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

os.environ.setdefault("TQDM_DISABLE", "1")

ROOT = Path(__file__).resolve().parents[2]
MODEL = os.environ["RASA_TEST_MODEL"]  # the trained model, given by tests/unit/test_policy_speedups.py
SEED = 20240607
SELF_PLAY = 120
PERTURBED = 400
TIMING_ROUNDS = 3

from rasa.utils.log_utils import configure_structlog  # noqa: E402

configure_structlog(logging.INFO)  # what `rasa run` does at its default log level
logging.getLogger().setLevel(logging.WARNING)

from rasa.core.agent import Agent  # noqa: E402
from rasa.core.policies.memoization import MemoizationPolicy  # noqa: E402
from rasa.core.policies.rule_policy import RulePolicy  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,  # noqa: E402
                                     Event, FollowupAction, LoopInterrupted, Restarted, SessionStarted, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.generator import TrainingDataGenerator  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.core.training_data.loading import load_data_from_files  # noqa: E402
from rasa.shared.core.training_data.structures import StoryGraph  # noqa: E402

sys.path.insert(0, str(ROOT))
from channels import policy_speedups, speedups  # noqa: E402

Events = List[Event]
START: Callable[[], Events] = lambda: [ActionExecuted("action_session_start"), SessionStarted(),  # noqa: E731
                                       ActionExecuted("action_listen")]
TEXTS = ["halo min", "mau booking paspor", "BAP", "besok", "tidak jadi", "batal", "ya", "gimana caranya?",
         "makasih", "hello", "??", "", "jam buka kantor?", "saya mau komplain"]


class Model:
    """The loaded model's policies, domain and ensemble, as the graph runs them."""

    def __init__(self) -> None:
        agent = Agent.load(MODEL)
        nodes = agent.processor.graph_runner._instantiated_nodes
        self.memo = nodes["run_MemoizationPolicy0"]._component
        self.rule = nodes["run_RulePolicy1"]._component
        self.ensemble = nodes["select_prediction"]._component
        self.domain: Domain = nodes["domain_provider"]._component.provide_inference()
        self.rule_only_data = nodes["rule_only_data_provider"]._component.provide()


# ------------------------------------------------------------------------------------------ conversations

def trackers_of(files: List[str], domain: Domain) -> List[Any]:
    steps = load_data_from_files(files, domain)
    return TrainingDataGenerator(StoryGraph(steps), domain, remove_duplicates=False, augmentation_factor=0,
                                 use_story_concatenation=False).generate()


def as_conversation(events: Events) -> Events:
    """A story's events after a session start, as a conversation in the tracker store begins."""
    if events and isinstance(events[0], ActionExecuted) and events[0].action_name == "action_listen":
        events = events[1:]
    return START() + list(events)


def slot_value(slot: Any, rng: random.Random) -> Any:
    """A value for the slot, often one its type does not expect (unknown categories, strings for numbers)."""
    kind = slot.type_name
    if kind == "categorical" and rng.random() < 0.6 and getattr(slot, "values", None):
        return rng.choice(slot.values)
    if kind == "bool" and rng.random() < 0.7:
        return rng.choice([True, False])
    if kind == "float" and rng.random() < 0.7:
        return rng.choice([0.0, 1.0, 0.5, 7.0, -3.0, 1e9])
    if kind == "list":
        return rng.choice([[], ["a"], ["a", "b"]])
    return rng.choice([None, "UNKNOWN_VALUE", "BAP", "ya", 3, "2026-04-07", "should_not_be_set"])


def user_turn(domain: Domain, rng: random.Random) -> UserUttered:
    intent = rng.choice(domain.intents + ["nlu_fallback", "not_an_intent"])
    entities = [{"entity": rng.choice(domain.entities), "value": rng.choice(TEXTS), "start": 0, "end": 1}
                for _ in range(rng.choice([0, 0, 1, 2]))] if domain.entities else []
    return UserUttered(rng.choice(TEXTS), intent={"name": intent, "confidence": round(rng.random(), 3)},
                       entities=entities)


def action_events(model: Model, tracker: DialogueStateTracker, action: str, rng: random.Random) -> Events:
    """What running `action` adds to the tracker, forms simulated: a form asks its slots one by one, takes the
    answer or rejects it, and deactivates when done; other actions sometimes set a slot."""
    domain = model.domain
    if action in domain.form_names:
        required = domain.required_slots_for_form(action)
        if tracker.active_loop_name != action:
            first = next((s for s in required if tracker.get_slot(s) is None), None)
            return [ActionExecuted(action), ActiveLoop(action), SlotSet("requested_slot", first)]
        if rng.random() < 0.25:
            return [ActionExecutionRejected(action)]
        events: Events = [ActionExecuted(action)]
        asked = tracker.get_slot("requested_slot")
        slots = {slot.name: slot for slot in domain.slots}
        if asked in slots:
            events.append(SlotSet(asked, slot_value(slots[asked], rng)))
        remaining = [s for s in required if s != asked and tracker.get_slot(s) is None]
        if remaining and rng.random() < 0.8:
            events.append(SlotSet("requested_slot", remaining[0]))
        else:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
    events = [ActionExecuted(action)]
    if rng.random() < 0.2 and action != "action_listen":
        slot = rng.choice(domain.slots)
        events.append(SlotSet(slot.name, slot_value(slot, rng)))
    return events


def self_play(model: Model, rng: random.Random, turns: int) -> Events:
    """A conversation that follows the unpatched bot's predictions, with random user turns."""
    tracker = DialogueStateTracker.from_events("probe", START(), slots=model.domain.slots)
    for _ in range(turns):
        tracker.update(user_turn(model.domain, rng))
        for _step in range(6):
            prediction = predict_ensemble(model, tracker)
            action = model.domain.action_names_or_texts[prediction.max_confidence_index]
            for event in prediction.events:
                tracker.update(event)
            for event in action_events(model, tracker, action, rng):
                tracker.update(event)
            if action == "action_listen":
                break
        else:
            tracker.update(ActionExecuted("action_listen"))
    return list(tracker.events)


def perturbed(base: Events, model: Model, rng: random.Random) -> Events:
    """A copy of a conversation with random edits: wrong intents, interruptions (inside forms too), unknown slot
    values, deleted events, reverts, restarts, follow-ups, rejected and interrupted loops."""
    domain = model.domain
    events = list(base)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(3, len(events)) if len(events) > 3 else len(events)
        kind = rng.randrange(9)
        if kind == 0:
            users = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
            if users:
                i = rng.choice(users)
                events[i] = user_turn(domain, rng)
        elif kind == 1:
            loops = [i for i, e in enumerate(events) if isinstance(e, ActiveLoop) and e.name]
            where = rng.choice(loops) + 1 if loops and rng.random() < 0.8 else at
            events[where:where] = [ActionExecuted("action_listen"), user_turn(domain, rng)]
        elif kind == 2:
            slot = rng.choice(domain.slots)
            events.insert(at, SlotSet(slot.name, slot_value(slot, rng)))
        elif kind == 3 and len(events) > 4:
            del events[rng.randrange(3, len(events))]
        elif kind == 4:
            events.insert(at, rng.choice([UserUtteranceReverted(), ActionReverted(), Restarted()]))
        elif kind == 5:
            events.insert(at, FollowupAction(rng.choice(domain.action_names_or_texts)))
        elif kind == 6 and domain.form_names:
            form = rng.choice(domain.form_names)
            events[at:at] = [ActionExecuted(form), ActiveLoop(form),
                             SlotSet("requested_slot", rng.choice(domain.required_slots_for_form(form) or [None]))]
        elif kind == 7 and domain.form_names:
            events.insert(at, rng.choice([ActionExecutionRejected(rng.choice(domain.form_names)),
                                          LoopInterrupted(rng.choice([True, False])), ActiveLoop(None)]))
        else:
            events.insert(at, ActionExecuted(rng.choice(domain.action_names_or_texts)))
    return events


def prediction_points(events: Events) -> List[int]:
    """Where the bot predicted an action: before every action after the session start, and at the end."""
    return [i for i, e in enumerate(events) if isinstance(e, ActionExecuted) and i >= 3] + [len(events)]


# ------------------------------------------------------------------------------------------ predictions

def predict_ensemble(model: Model, tracker: DialogueStateTracker) -> Any:
    memo = model.memo.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
    rule = model.rule.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
    return model.ensemble.combine_predictions_from_kwargs(tracker, model.domain, policy0=memo, policy1=rule)


def outcome(prediction: Any) -> Tuple[Any, ...]:
    """Everything a PolicyPrediction carries."""
    return (prediction.probabilities, prediction.policy_name, prediction.policy_priority, prediction.events,
            prediction.optional_events, prediction.is_end_to_end_prediction, prediction.is_no_user_prediction,
            prediction.diagnostic_data, prediction.hide_rule_turn, prediction.action_metadata)


def step_outcomes(model: Model, tracker: DialogueStateTracker) -> Dict[str, Any]:
    """Each policy's prediction, RulePolicy's chosen rule (`_predict`'s prediction source), the ensemble's pick."""
    rule_prediction, source = model.rule._predict(tracker, model.domain)
    memo = model.memo.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
    rule = model.rule.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
    final = model.ensemble.combine_predictions_from_kwargs(tracker, model.domain, policy0=memo, policy1=rule)
    return {"memo": outcome(memo), "rule": outcome(rule), "rule_predict": outcome(rule_prediction),
            "source": source, "final": outcome(final)}


def replay(model: Model, events: Events, each: Callable[[DialogueStateTracker], Any]) -> List[Any]:
    """Predict at every point of a conversation as the bot did: a tracker loaded anew for each user message (as
    from the tracker store), then updated with each action of that turn on the same object."""
    results: List[Any] = []
    tracker = None
    done = 0
    for point in prediction_points(events):
        new = events[done:point]
        if tracker is None or any(isinstance(e, UserUttered) for e in new):
            tracker = DialogueStateTracker.from_events("probe", events[:point], slots=model.domain.slots)
        else:
            for event in new:
                tracker.update(event)
        done = point
        results.append(each(tracker))
    return results


def timed_predictions(model: Model, conversations: List[Events]) -> Tuple[float, int]:
    """CPU ms per prediction (both policies, as the graph runs them), over every step of every conversation."""
    spent = 0.0
    count = 0

    def each(tracker: DialogueStateTracker) -> None:
        nonlocal spent, count
        start = time.process_time()
        model.memo.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
        model.rule.predict_action_probabilities(tracker, model.domain, rule_only_data=model.rule_only_data)
        spent += time.process_time() - start
        count += 1

    for _ in range(TIMING_ROUNDS):
        for events in conversations:
            replay(model, events, each)
    return round(spent / count * 1000, 4), count


def tied_lookup(rules: Dict[str, str], actions: List[str]) -> Dict[str, str]:
    """The rules plus, for each rule whose last state has two parts, a twin of the same length (its last state's
    parts in the other order: the same conditions) predicting another action. Both apply together and tie on
    length, so which one wins is the order of Rasa's set, and the twin is no rule of RULES_NOT_IN_STORIES."""
    tied = dict(rules)
    for key, action in rules.items():
        states = json.loads(key)
        if len(states[-1]) < 2:
            continue
        states[-1] = dict(reversed(list(states[-1].items())))
        twin = json.dumps(states)
        if twin not in tied and len(twin) == len(key):
            tied[twin] = next(a for a in actions if a != action)
    return tied


def replay_all(model: Model, conversations: List[Events]) -> List[List[Any]]:
    return [replay(model, c, lambda t: step_outcomes(model, t)) for c in conversations]


def with_rules(model: Model, rules: Dict[str, str], run: Callable[[], Any]) -> Any:
    """`run()` with the RulePolicy's rules replaced by `rules`."""
    kept = model.rule.lookup["rules"]
    model.rule.lookup["rules"] = rules
    try:
        return run()
    finally:
        model.rule.lookup["rules"] = kept


def compare(before: List[List[Any]], after: List[List[Any]]) -> Tuple[int, int, Any]:
    same = total = 0
    first_difference = None
    for one, two in zip(before, after):
        for step_before, step_after in zip(one, two):
            total += 1
            if step_before == step_after:
                same += 1
            elif first_difference is None:
                first_difference = {key: [str(step_before[key]), str(step_after[key])]
                                    for key in step_before if step_before[key] != step_after[key]}
        total += abs(len(one) - len(two))
    return same, total, first_difference


def debug_detected() -> bool:
    """With structlog at DEBUG (`rasa run --debug`) the patches must leave the work to Rasa's own methods."""
    import structlog

    kept = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        return not policy_speedups._structlog_debug_is_off()
    finally:
        structlog.configure(wrapper_class=kept)


# ------------------------------------------------------------------------------------------ main

def main() -> None:
    install_policy_speedups = policy_speedups.install
    policy_speedups.install = lambda: None  # channels.speedups.install() calls it: first Rasa's own policies
    speedups.install()
    policy_speedups.install = install_policy_speedups
    model = Model()
    rng = random.Random(SEED)
    domain = model.domain

    data = [t for t in trackers_of(sorted(glob.glob(str(ROOT / "bot" / "data" / "*.yml"))), domain)]
    stories = [as_conversation(list(t.events)) for t in data if not t.is_rule_tracker]
    rules = [as_conversation(list(t.events)) for t in data if t.is_rule_tracker]
    test_files = sorted(glob.glob(str(ROOT / "tests" / "stories" / "*.yml")))
    tests = [as_conversation(list(t.events)) for t in trackers_of(test_files, domain)] if test_files else []
    played = [self_play(model, rng, rng.randint(2, 12)) for _ in range(SELF_PLAY)]
    bases = stories + rules + tests + played
    noisy = [perturbed(rng.choice(bases), model, rng) for _ in range(PERTURBED)]
    groups = {"stories": stories, "rules": rules, "test_stories": tests, "self_play": played, "perturbed": noisy}
    conversations = [c for group in groups.values() for c in group]
    realistic = stories + tests + played

    original_find = RulePolicy.__dict__["_find_action_from_rules"]
    original_possible_keys = RulePolicy.__dict__["_get_possible_keys"]
    original_memo = MemoizationPolicy.__dict__["predict_action_probabilities"]
    original_states = Domain.__dict__["states_for_tracker_history"]

    tied = tied_lookup(model.rule.lookup["rules"], domain.action_names_or_texts)
    tie_conversations = rules + stories + tests
    before = replay_all(model, conversations)
    before_tied = with_rules(model, tied, lambda: replay_all(model, tie_conversations))
    cpu_before, timed = timed_predictions(model, realistic)

    policy_speedups.install()
    policy_speedups.install()  # idempotent
    installed = {
        "rule_policy": RulePolicy.__dict__["_find_action_from_rules"] is not original_find
        and RulePolicy.__dict__["_find_action_from_rules"].__wrapped__ is original_find,
        "memoization": MemoizationPolicy.__dict__["predict_action_probabilities"].__wrapped__ is original_memo,
        "shared_states": Domain.__dict__["states_for_tracker_history"].__wrapped__ is original_states,
        "fast_path_on": policy_speedups._structlog_debug_is_off(),
    }
    asked = 0

    def counting_possible_keys(self: Any, lookup: Any, states: Any) -> Any:
        nonlocal asked
        asked += 1
        return original_possible_keys(self, lookup, states)

    RulePolicy._get_possible_keys = counting_possible_keys  # type: ignore[method-assign]
    after = replay_all(model, conversations)
    asked_untied = asked
    after_tied = with_rules(model, tied, lambda: replay_all(model, tie_conversations))
    RulePolicy._get_possible_keys = original_possible_keys  # type: ignore[method-assign]
    cpu_after, _ = timed_predictions(model, realistic)

    # the comparison must see a wrong index: one that loses the rules requiring both an action and an intent
    right_candidates = policy_speedups._RuleIndex.candidates

    def wrong_candidates(self: Any, last_state: Any) -> Any:
        key = ((last_state.get("prev_action") or {}).get("action_name"), (last_state.get("user") or {}).get("intent"))
        return [rule for rule in right_candidates(self, last_state) if rule not in self.buckets.get(key, ())]

    policy_speedups._RuleIndex.candidates = wrong_candidates  # type: ignore[method-assign]
    sabotaged = replay_all(model, rules)
    policy_speedups._RuleIndex.candidates = right_candidates  # type: ignore[method-assign]

    counts: Dict[str, Dict[str, int]] = {}
    first_difference = None
    offset = 0
    for name, group in groups.items():
        same, total, difference = compare(before[offset:offset + len(group)], after[offset:offset + len(group)])
        counts[name] = {"identical": same, "total": total}
        first_difference = first_difference or difference
        offset += len(group)
    same, total, difference = compare(before_tied, after_tied)
    counts["tied_rules"] = {"identical": same, "total": total}
    first_difference = first_difference or difference
    wrong_same, wrong_total, _ = compare(before[len(stories):len(stories) + len(rules)], sabotaged)
    sources = {s["source"] for steps in before for s in steps}
    print(json.dumps({
        "identical": sum(c["identical"] for c in counts.values()), "total": sum(c["total"] for c in counts.values()),
        "groups": counts, "first_difference": first_difference, "installed": installed,
        "debug_leaves_it_to_rasa": debug_detected(),
        "rules_in_model": len(model.rule.lookup["rules"]), "twin_rules": len(tied) - len(model.rule.lookup["rules"]),
        "distinct_sources": len(sources),
        "actions_predicted": len({s["final"][0].index(max(s["final"][0])) for steps in before for s in steps}),
        "ties_asked_rasa": {"model_rules": asked_untied, "with_twins": asked - asked_untied},
        "wrong_index_caught": {"identical": wrong_same, "total": wrong_total},
        "cpu_ms_per_prediction": {"before": cpu_before, "after": cpu_after, "predictions_timed": timed},
    }, default=str))


if __name__ == "__main__":
    main()
