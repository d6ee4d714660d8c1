"""channels/nlu_speedups.py against Rasa's own code, inside the Rasa environment; run by test_nlu_speedups.py.

    .venv-rasa/bin/python tests/unit/nlu_speedups_probe.py

Loads the trained model as `rasa run` does (channels.speedups installed first), parses every NLU example of
nlu_data/*.yml and odd texts with Rasa's code and then with the patches, and compares the parse results
bit for bit (every float by its bits), DIET's raw outputs (every array: dtype, shape, bytes) and the combined
sparse features (matrix type, dtype, shape, row/column/data arrays, Features fields). Also compares made-up
feature lists and model inputs that must take Rasa's own path (and its errors), checks that install() refuses
other internals, and measures CPU per parse (time.process_time) with and without each patch. Prints one JSON
line.
"""
from __future__ import annotations

import asyncio
import glob
import json
import logging
import math
import os
import struct
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

os.environ.setdefault("TQDM_DISABLE", "1")

ROOT = Path(__file__).resolve().parents[2]
MODEL = os.environ["RASA_TEST_MODEL"]  # the trained model, given by tests/unit/test_nlu_speedups.py
TIMED_PARSES = 200
TIMING_ROUNDS = 5  # the variants interleaved, in a rotating order; the median of the rounds is reported

from rasa.utils.log_utils import configure_structlog  # noqa: E402

configure_structlog(logging.INFO)  # what `rasa run` does at its default log level
logging.getLogger().setLevel(logging.WARNING)

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from rasa.core.agent import Agent  # noqa: E402
from rasa.core.channels.channel import UserMessage  # noqa: E402
from rasa.shared.nlu.constants import TEXT  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.utils import train_utils  # noqa: E402
from rasa.utils.tensorflow.models import RasaModel  # noqa: E402

sys.path.insert(0, str(ROOT))
from channels import nlu_speedups, speedups  # noqa: E402

ODD_TEXTS = [
    "", " ", "a", "?", "\n", "\t ok \t", "/greet", "K7M9QX", "kode booking K7M9QX", "k7m9qx", "ticket ADU-2026-000123",
    "ADU-2026-000123", "0812-3456-7890", "1234567890", "2026-04-07 09:30", "👍", "🙏🙏🙏 makasih min 😀",
    "halo, I want to renew my paspor besok please", "mau booking passport appointment tomorrow jam 9",
    "护照 预约", "جواز السفر", "Привет", "café naïve résumé", "e\u0301", "\u200b", "a" * 2000, "ab " * 667,
    ("saya mau perpanjang paspor di kantor imigrasi jakarta selatan besok pagi, " * 30)[:2000],
    "BAP", "Paspor", "batal", "ya", "tidak", "gimana caranya???", "!!!!!!!!", "<script>alert(1)</script>",
]


# ------------------------------------------------------------------------------------------ comparisons

def same(a: Any, b: Any) -> bool:
    """Equal in type and value, floats by their bits, arrays by dtype, shape and bytes."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and (a.dtype == object and all(
            same(x, y) for x, y in zip(a.ravel(), b.ravel())) or a.dtype != object and a.tobytes() == b.tobytes())
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if scipy.sparse.issparse(a):
        return same_matrix(a, b)
    return a == b


def same_matrix(a: Any, b: Any) -> bool:
    if type(a) is not type(b) or a.format != b.format or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.format != "coo":
        return same(a.toarray(), b.toarray())
    return (a.has_canonical_format == b.has_canonical_format and same(a.row, b.row) and same(a.col, b.col)
            and same(a.data, b.data) and all(type(n) is int for n in a.shape + b.shape))


def same_features(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return (type(a) is type(b) and list(a.__dict__) == list(b.__dict__) and a.type == b.type
            and a.attribute == b.attribute and a.origin == b.origin and a._cached_fingerprint is None
            and b._cached_fingerprint is None and same_matrix(a.features, b.features))


def outcome(call: Callable[[], Any]) -> Tuple[str, Any]:
    try:
        return "ok", call()
    except Exception as exc:  # the error is part of the behaviour
        return "raised", f"{type(exc).__name__}: {exc}"


def same_outcome(a: Tuple[str, Any], b: Tuple[str, Any], compare: Callable[[Any, Any], bool] = same) -> bool:
    return a[0] == b[0] and (a[1] == b[1] if a[0] == "raised" else compare(a[1], b[1]))


# ------------------------------------------------------------------------------------------ the patches on/off

class Switch:
    """Puts Rasa's functions or the patched ones on the classes, each patch on its own."""

    def __init__(self, originals: Dict[str, Any]) -> None:
        self.originals = originals
        self.patched = {"combine": Message.__dict__["_combine_features"],
                        "predict": RasaModel.__dict__["_rasa_predict"]}

    def use(self, combine: bool, predict: bool) -> None:
        Message._combine_features = (self.patched if combine else self.originals)["combine"]
        RasaModel._rasa_predict = (self.patched if predict else self.originals)["predict"]


class Counter:
    """Counts how often the patches took their own path (not Rasa's) while patched."""

    def __init__(self) -> None:
        self.direct = self.predict_calls = self.stacked = 0
        direct, stack = nlu_speedups._direct_outputs, nlu_speedups._stack_coo

        def counted_direct(step: Any, batch_in: Any) -> Any:
            self.predict_calls += 1
            result = direct(step, batch_in)
            self.direct += result is not None
            return result

        def counted_stack(matrices: Any) -> Any:
            result = stack(matrices)
            self.stacked += result is not None
            return result

        nlu_speedups._direct_outputs = counted_direct
        nlu_speedups._stack_coo = counted_stack

    def reset(self) -> None:
        self.direct = self.predict_calls = self.stacked = 0


# ------------------------------------------------------------------------------------------ texts and parses

def nlu_texts() -> List[str]:
    texts: List[str] = []
    for path in sorted(glob.glob(str(ROOT / "nlu_data" / "*.yml"))):
        for example in load_data(path).training_examples:
            text = example.get(TEXT)
            if text is not None and text not in texts:
                texts.append(text)
    return texts


async def parse_all(processor: Any, texts: List[str]) -> List[Dict[str, Any]]:
    return [await processor.parse_message(UserMessage(text)) for text in texts]


async def cpu_ms_per_parse(processor: Any, texts: List[str]) -> float:
    start = time.process_time()
    for n in range(TIMED_PARSES):
        await processor.parse_message(UserMessage(texts[n % len(texts)]))
    return (time.process_time() - start) / TIMED_PARSES * 1000


def nlu_messages(processor: Any, texts: List[str]) -> List[Message]:
    """The messages as the NLU graph leaves them (features attached), for the DIET-level comparisons."""
    from rasa.shared.core.trackers import DialogueStateTracker

    target = processor.model_metadata.nlu_target
    messages = []
    for text in texts:
        result = processor.graph_runner.run(inputs={"__message__": [UserMessage(text)],
                                                    "__tracker__": DialogueStateTracker.from_events("p", [])},
                                            targets=[target])
        messages.append(result[target][0])
    return messages


def diet_report(diet: Any, messages: List[Message], switch: Switch) -> Dict[str, Any]:
    """DIET's combined sparse features and raw outputs with and without the patches, message by message."""
    featurizers = diet.component_config.get("featurizers") or []
    counts = {"messages": len(messages), "features_same": 0, "outputs_same": 0, "model_inputs": 0}
    for message in messages:
        switch.use(False, False)
        rasa_features = message.get_sparse_features(TEXT, featurizers)
        rasa_out = diet._predict(message)
        switch.use(True, True)
        patched_features = message.get_sparse_features(TEXT, featurizers)
        patched_out = diet._predict(message)
        counts["features_same"] += all(same_features(a, b) for a, b in zip(rasa_features, patched_features))
        counts["outputs_same"] += same(rasa_out, patched_out)
        counts["model_inputs"] += rasa_out is not None
    return counts


# ------------------------------------------------------------------------------------------ made-up inputs

def coo(rows: int, cols: int, entries: List[Tuple[int, int, float]], dtype: Any = np.float64) -> Any:
    if not entries:
        return scipy.sparse.coo_matrix((rows, cols), dtype=dtype)
    r, c, d = zip(*entries)
    return scipy.sparse.coo_matrix((np.array(d, dtype=dtype), (np.array(r), np.array(c))), shape=(rows, cols))


def sparse(matrix: Any, origin: str, kind: str = "sequence") -> Features:
    return Features(matrix, kind, TEXT, origin)


def feature_cases() -> Dict[str, Tuple[List[Features], bool]]:
    """Feature lists, and whether the patch should stack them itself (else: Rasa's code, same result)."""
    big = 2 ** 30
    odd = sparse(coo(2, 3, [(0, 1, 1.0)]), "extra")
    odd.extra = "kept"  # type: ignore[attr-defined]
    return {
        "float_int_mix": ([sparse(coo(3, 4, [(0, 1, 1.5), (2, 3, -2.0)]), "a"),
                           sparse(coo(3, 5, [(1, 4, 3)], np.int64), "b"),
                           sparse(coo(3, 2, [(2, 0, 7)], np.int64), "c")], True),
        "float32_then_float64": ([sparse(coo(2, 3, [(0, 0, 0.1)], np.float32), "a"),
                                  sparse(coo(2, 3, [(1, 2, 0.1)]), "b"), sparse(coo(2, 1, [(0, 0, 0.3)]), "c")], True),
        "dtype_grows_later": ([sparse(coo(2, 3, [(0, 0, 5)], np.int64), "a"),
                               sparse(coo(2, 3, [(1, 1, 6)], np.int64), "b"),
                               sparse(coo(2, 3, [(1, 2, 0.5)]), "c")], False),
        "empty_blocks": ([sparse(coo(4, 3, []), "a"), sparse(coo(4, 6, [(3, 5, 1.0)]), "b"),
                          sparse(coo(4, 2, []), "c")], True),
        "all_empty": ([sparse(coo(1, 3, []), "a"), sparse(coo(1, 2, []), "b")], True),
        "duplicates_unsorted": ([sparse(coo(2, 3, [(1, 2, 1.0), (0, 0, 2.0), (1, 2, 3.0)]), "a"),
                                 sparse(coo(2, 2, [(1, 1, 4.0), (1, 1, 5.0), (0, 0, 0.0)]), "b")], True),
        "index_dtype_grows": ([sparse(coo(1, big, [(0, big - 1, 1.0)]), "a"),  # int32 indices, then int64
                               sparse(coo(1, big // 2, [(0, 0, 2.0)]), "b"),
                               sparse(coo(1, big, [(0, 5, 3.0)]), "c")], True),
        "csr_block": ([sparse(coo(2, 3, [(0, 1, 1.0)]).tocsr(), "a"), sparse(coo(2, 2, [(1, 1, 2.0)]), "b")], False),
        "rows_differ": ([sparse(coo(2, 3, [(0, 1, 1.0)]), "a"), sparse(coo(3, 2, [(1, 1, 2.0)]), "b")], False),
        "dense_and_sparse": ([sparse(coo(2, 3, [(0, 1, 1.0)]), "a"), Features(np.ones((2, 4)), "sequence", TEXT, "b")],
                             False),
        "extra_attribute": ([odd, sparse(coo(2, 2, [(1, 1, 2.0)]), "b")], False),
        "one_feature": ([sparse(coo(2, 3, [(0, 1, 1.0)]), "a")], False),
        "no_feature": ([], False),
        "sentence_level": ([sparse(coo(1, 5, [(0, 4, 1.0)]), "a", "sentence"),
                            sparse(coo(1, 3, [(0, 0, 1)], np.int64), "b", "sentence")], True),
    }


def features_report(switch: Switch, counter: Counter) -> Dict[str, Any]:
    report = {}
    for name, (features, stacked) in feature_cases().items():
        switch.use(False, False)
        rasa = outcome(lambda: Message._combine_features(list(features), ["x", "y"]))
        switch.use(True, False)
        counter.reset()
        patched = outcome(lambda: Message._combine_features(list(features), ["x", "y"]))
        report[name] = {"same": same_outcome(rasa, patched, same_features),
                        "own_path_as_expected": (counter.stacked == 1) == stacked, "rasa": rasa[0]}
    return report


def model_inputs_report(diet: Any, message: Message, switch: Switch, counter: Counter) -> Dict[str, Any]:
    """DIET's model on inputs TF would cast or refuse: Rasa's own call takes them, with its results or errors."""
    data = diet._create_model_data([message], training=False)
    generator, _ = train_utils.create_data_generators(model_data=data, batch_sizes=1, epochs=1, shuffle=False)
    batch = tuple(next(iter(generator))[0])
    float32 = next(n for n, value in enumerate(batch) if value.dtype == np.float32 and type(value) is np.ndarray)
    cases = {
        "real": (batch, True),
        "as_list": (list(batch), True),
        "float64_input": (batch[:float32] + (batch[float32].astype(np.float64),) + batch[float32 + 1:], False),
        "one_input_missing": (batch[:-1], False),
        "rank_differs": (batch[:float32] + (batch[float32][None],) + batch[float32 + 1:], False),
        "tensor_input": (batch[:float32] + (__import__("tensorflow").constant(batch[float32]),) + batch[float32 + 1:],
                         False),
    }
    report = {}
    model = diet.model
    for name, (inputs, direct) in cases.items():
        switch.use(False, False)
        rasa = outcome(lambda: model._rasa_predict(inputs))
        switch.use(False, True)
        counter.reset()
        patched = outcome(lambda: model._rasa_predict(inputs))
        report[name] = {"same": same_outcome(rasa, patched), "own_path_as_expected": (counter.direct == 1) == direct,
                        "rasa": rasa[0]}
    return report


# ------------------------------------------------------------------------------------------ install

def refusal_report(originals: Dict[str, Any]) -> Dict[str, Any]:
    """install() with another Rasa version recorded: an error in the log, nothing patched."""
    records: List[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    nlu_speedups.log.addHandler(handler)
    saved = dict(nlu_speedups.VERSIONS)
    nlu_speedups.VERSIONS["rasa"] = "0.0.0"
    try:
        nlu_speedups.install()
    finally:
        nlu_speedups.VERSIONS.update(saved)
        nlu_speedups.log.removeHandler(handler)
    untouched = (Message.__dict__["_combine_features"] is originals["combine"]
                 and RasaModel.__dict__["_rasa_predict"] is originals["predict"])
    refused = bool(nlu_speedups._refused) and not nlu_speedups.installed()
    nlu_speedups._refused.clear()
    return {"untouched": untouched, "refused": refused,
            "error_logged": any(r.levelno == logging.ERROR and "0.0.0" in r.getMessage() for r in records)}


def main() -> None:
    originals = {"combine": Message.__dict__["_combine_features"], "predict": RasaModel.__dict__["_rasa_predict"]}
    refusal = refusal_report(originals)
    speedups.install()  # as production: channels/base.py installs it in every Rasa process
    nlu_speedups.install()
    patched_once = (Message.__dict__["_combine_features"], RasaModel.__dict__["_rasa_predict"])
    nlu_speedups.install()  # idempotent
    installed = {
        "installed": nlu_speedups.installed(),
        "combine_patched": Message.__dict__["_combine_features"] is not originals["combine"],
        "predict_patched": RasaModel.__dict__["_rasa_predict"] is not originals["predict"],
        "wraps_rasa": (Message.__dict__["_combine_features"].__func__.__wrapped__ is originals["combine"].__func__
                       and RasaModel.__dict__["_rasa_predict"].__wrapped__ is originals["predict"]),
        "idempotent": patched_once == (Message.__dict__["_combine_features"], RasaModel.__dict__["_rasa_predict"]),
    }
    switch = Switch(originals)
    counter = Counter()
    switch.use(False, False)
    agent = Agent.load(MODEL)
    processor = agent.processor
    diet = next(node._component for name, node in processor.graph_runner._instantiated_nodes.items()
                if name.startswith("run_DIETClassifier"))

    examples, odd = nlu_texts(), list(ODD_TEXTS)
    texts = examples + odd
    loop = asyncio.new_event_loop()
    switch.use(False, False)
    rasa_parses = loop.run_until_complete(parse_all(processor, texts))
    switch.use(True, True)
    counter.reset()
    patched_parses = loop.run_until_complete(parse_all(processor, texts))
    parses = {"examples": len(examples), "odd": len(odd),
              "examples_identical": sum(same(a, b) for a, b in zip(rasa_parses[:len(examples)], patched_parses)),
              "odd_identical": {repr(text[:40]): same(a, b) for text, a, b in
                                zip(odd, rasa_parses[len(examples):], patched_parses[len(examples):])},
              "model_calls": counter.predict_calls, "direct_calls": counter.direct,
              "stacked_feature_sets": counter.stacked,
              "intents_seen": len({p["intent"]["name"] for p in rasa_parses}),
              "with_entities": sum(bool(p["entities"]) for p in rasa_parses)}
    diet_level = diet_report(diet, nlu_messages(processor, texts), switch)
    made_up = {"features": features_report(switch, counter),
               "model_inputs": model_inputs_report(diet, nlu_messages(processor, ["cek booking K7M9QX"])[0], switch,
                                                   counter)}

    timing: Dict[str, List[float]] = {"rasa": [], "sparse_only": [], "tf_only": [], "patched": []}
    variants = {"rasa": (False, False), "sparse_only": (True, False), "tf_only": (False, True), "patched": (True, True)}
    for round_ in range(TIMING_ROUNDS):
        names = list(variants)
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            switch.use(*variants[name])
            timing[name].append(loop.run_until_complete(cpu_ms_per_parse(processor, texts)))
    switch.use(True, True)
    median = {name: round(sorted(values)[len(values) // 2], 3) for name, values in timing.items()}
    print(json.dumps({
        "refusal": refusal, "install": installed, "parses": parses, "diet": diet_level, "made_up": made_up,
        "cpu_ms_per_parse": {**median, "parses_per_measure": TIMED_PARSES, "rounds": TIMING_ROUNDS,
                             "saved_pct": round(100 * (1 - median["patched"] / median["rasa"]), 1)},
        "finite": all(math.isfinite(v) for values in timing.values() for v in values),
    }))


if __name__ == "__main__":
    main()
