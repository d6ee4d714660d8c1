"""Rasa 3.6.21 parsing a message (NLU) for less CPU, with bit-identical results.

py-spy on the Rasa process under load put DIETClassifier.process at a quarter of Rasa's CPU per message,
most of it in two kinds of bookkeeping around the model:

- Combining a message's sparse features. `Message._combine_features` deep-copies the first featurizer's
  matrix and then calls `scipy.sparse.hstack` once per further featurizer (3 times for the tokens' 4
  featurizers here, twice for the sentence's 3): each call converts both blocks to COO again, validates
  them and builds a new COO matrix.
  Here the same `bmat` steps run once over all the blocks: the same COO matrix (data, row and column arrays
  with the same values, dtypes and order, the same shape, not canonical), and a `Features` object like the
  deep copy Rasa made (same type, attribute, origin list, no cached fingerprint). Only COO blocks whose data
  type does not change after the first combination are taken this way; anything else is Rasa's own code.

- Calling DIET's tf.function. `RasaModel._rasa_predict` builds it with an input signature, so every call
  ends in the same concrete function; TensorFlow's dispatch (binding the arguments, casting the NumPy
  inputs to the signature, computing the call's type, looking it up) costs as much CPU as a small
  graph's execution. Here the call's type is computed once; each call looks it up in the function's own
  cache for the current context (as TF does: a context or capture change, a retrace or a missing entry
  goes through TF's own `__call__`), converts each input exactly as TF's `convert_to_tensor` with the
  signature's dtype would (an `EagerTensor` of the same array and dtype on the context's device) and calls
  the concrete function as TF's dispatch does (`_call_flat` with its captured inputs). Inputs TF would
  cast or refuse (another dtype, another rank or width, not a plain NumPy array) go through TF.

Measured by the probe (processor.parse_message, CPU per parse over the NLU examples, channels.speedups on):
6.4 -> 4.0 ms, and 10.2 -> 7.2 ms in a run beside another CPU-heavy process; separately, a message's sparse
features 0.94 -> 0.30 ms and DIET's tf.function call 3.8 -> 2.0 ms. Parse results, DIET's raw outputs and
the combined matrices are bit-identical to Rasa's on every example (tests/unit/test_nlu_speedups.py).

`install()` patches only if Rasa, scipy and TensorFlow are the versions these replicas were read from, the
functions they replicate (Rasa's, scipy's `bmat`, TF's dispatch and conversion) have the very source they
were read from (sha256 below) and no other patch wraps the two Rasa functions; otherwise it logs an error
and leaves Rasa as it is. channels.speedups.install() calls it.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence

log = logging.getLogger(__name__)

VERSIONS = {"rasa": "3.6.21", "scipy": "1.10.1", "tensorflow": "2.12.0"}

# sha256 of the source of what is replicated (inspect.getsource), read from the versions above
SOURCE_SHA256 = {
    "Message._combine_features": "6f88fa43154948bd3f5285324dcba76bf4f80a4a8632a02dff16cd0b0f9631fa",
    "Features.combine_with_features": "80e355ae45856d9248e03713424dad25c1c9120b2d305d2c154ea1bc0b8e0b26",
    "Features._combine_sparse_features": "9837d864e5983243704cf14616ef9abe181c6f141cc0f9b324c4310629cc133d",
    "RasaModel._rasa_predict": "7f745b0f9cb647c9df9e5b04b318a7b93709daf9460bad4373970c6cf9f04d8f",
    "scipy.sparse.bmat": "eef3fe6a0159851d7229846c882616e6f6c74f9f30f12012a4d3b082fd3969e6",
    "scipy.sparse.hstack": "b683cdf555c3d7301614fd94bf94511ddb707d260e9e1d525dc53dd620e4b886",
    "Function.__call__": "529bf2b31c936c337186b307bfdb46aeb3ac6b3a637888884aa627126cb2326b",
    "Function._call": "d6265668f6e54842479546854000713755587a2e6b74f4913d1b89826a0a7b24",
    "TracingCompiler.__call__": "a92f3c55e17940e5e3cba91c16698694e38ed90c46c24336b4c50d6dc8525b31",
    "TracingCompiler._maybe_define_function": "ed85d56c392eddac1ba7b8151c7edf6a40caf18f321ef56b35946affb3478f13",
    "FunctionSpec.canonicalize_function_inputs": "a55faf49fa539a996b9bac6c2f0471b14b89e7f67885b85757fcf408382a7016",
    "function_spec.cast_inputs_to_signature": "41345a3bf26feec4609bf943ebbfc2e7bcf4b81ae71e7d51f9ce45b17d88fe1d",
    "ops.convert_to_tensor": "3feea160ae4cd9b9bd1c93e19917a1b8cfbb715dd7ed1b79eca0b73cdf9169e8",
    "registry._default_conversion_function": "f6ba1883f424496e404a78ca9cb7a8c9d689171e859ad3d35305b609e0ccfc54",
    "constant_op._constant_impl": "d71a7e36d99f0bfb41d98caeab1811df78de594d10e625f0fe071a0aa6a8bbdd",
    "constant_op._constant_eager_impl": "362b77e3be3ed839f3ec088f3211032d8d9d3a78f8e146beb897134122c60466",
    "constant_op.convert_to_eager_tensor": "63b01109cf205154326a1da04926fdbfb229d66b361f372e91f8405b79c6511f",
    "FunctionCache.lookup": "7fb1591c4dad4fead7c21a6ef75268101402143160f60f49c93739536fd6a098",
}

_PATCHED = ("Message._combine_features", "RasaModel._rasa_predict")
_MARK = "_nlu_speedups"  # set on the patched functions: install() never wraps twice
_install_lock = threading.Lock()
_refused: List[List[str]] = []  # why install() did not patch (it does not try again)


# ---------------------------------------------------------------------------------------------
# sparse features: one bmat over all the blocks instead of a chain of hstacks

def _stack_coo(matrices: Sequence[Any]) -> Optional[Any]:
    """What Rasa's chain `hstack([hstack([A, B]), C]) ...` gives for COO blocks, built in one pass;
    None when the chain could differ (a block that is not a valid COO matrix, rows that do not match,
    a data type that would change after the first combination) so Rasa's own code runs instead.

    scipy 1.10.1's `bmat` (the one block-row case): data upcast over the blocks, index arrays of the
    index dtype for the final shape, rows as they are, columns shifted by the widths before them.
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse._sputils import get_index_dtype, upcast

    first = matrices[0]
    n_rows = first.shape[0]
    dtype = None
    widths = []
    nnz = 0
    for position, matrix in enumerate(matrices):
        if type(matrix) is not coo_matrix or matrix.shape[0] != n_rows or not _valid_coo(matrix):
            return None
        if position == 0:
            dtype = matrix.dtype
        else:
            combined = upcast(dtype, matrix.dtype)
            if position > 1 and combined != dtype:
                return None  # the chain would cast earlier values twice
            dtype = combined
        widths.append(matrix.shape[1])
        nnz += matrix.nnz
    shape = (n_rows, sum(widths))
    index_dtype = get_index_dtype(maxval=max(shape))
    data = np.empty(nnz, dtype=dtype)
    row = np.empty(nnz, dtype=index_dtype)
    col = np.empty(nnz, dtype=index_dtype)
    start = 0
    offset = 0
    for matrix, width in zip(matrices, widths):
        block = slice(start, start + matrix.nnz)
        data[block] = matrix.data
        np.add(matrix.row, 0, out=row[block], dtype=index_dtype)
        np.add(matrix.col, offset, out=col[block], dtype=index_dtype)
        start += matrix.nnz
        offset += width
    return coo_matrix((data, (row, col)), shape=shape)


def _valid_coo(matrix: Any) -> bool:
    """The checks `coo_matrix(block)` makes in `bmat` pass (it would raise or warn otherwise)."""
    row, col, data = matrix.row, matrix.col, matrix.data
    if row.ndim != 1 or col.ndim != 1 or data.ndim != 1 or not len(row) == len(col) == len(data):
        return False
    if row.dtype.kind != "i" or col.dtype.kind != "i" or not data.dtype.isnative:
        return False
    if len(data) == 0:
        return True
    return bool(row.min() >= 0 and col.min() >= 0 and row.max() < matrix.shape[0] and col.max() < matrix.shape[1])


def _combined_features(original: Callable[..., Any]) -> Callable[..., Any]:
    """`Message._combine_features` with sparse COO features stacked in one pass (`_stack_coo`)."""
    from rasa.shared.nlu.training_data.features import Features

    plain = {"features", "type", "origin", "attribute", "_cached_fingerprint"}

    def _combine_features(features: List[Any], featurizers: List[str]) -> Optional[Any]:
        if len(features) < 2 or not all(_plain_features(f) for f in features):
            return original(features, featurizers)
        stacked = _stack_coo([f.features for f in features])
        if stacked is None:
            return original(features, featurizers)
        first = features[0]
        # what copy.deepcopy(first), `.origin = featurizers` and combine_with_features left
        return Features(stacked, first.type, first.attribute, featurizers)

    def _plain_features(features: Any) -> bool:
        """A `Features` with only Rasa's attributes, strings where a deep copy would share them anyway."""
        return (type(features) is Features and features.__dict__.keys() == plain
                and type(features.type) is str and type(features.attribute) is str)

    return _combine_features


# ---------------------------------------------------------------------------------------------
# DIET's tf.function: its concrete function called as TF's dispatch calls it

class _DirectCall:
    """What TF's dispatch of one tf.function with an input signature resolves to, computed once."""

    def __init__(self, step: Any, batch_in: Sequence[Any]) -> None:
        import tensorflow as tf

        self.compiler = step._variable_creation_fn
        self.input_signature = step.input_signature
        self.specs = tuple(tf.nest.flatten(self.input_signature, expand_composites=True))
        self.numpy_dtypes = tuple(spec.dtype.as_numpy_dtype for spec in self.specs)
        self.enums = tuple(spec.dtype.as_datatype_enum for spec in self.specs)
        self.dims = tuple(tuple(spec.shape.as_list()) for spec in self.specs)
        # TracingCompiler._maybe_define_function's lookup type: the signature replaces the arguments
        spec = self.compiler._function_spec
        args, kwargs, _ = spec.canonicalize_function_inputs((batch_in,), {})
        args = (*self.input_signature, *args[len(self.input_signature):])
        self.lookup_type, _ = spec.make_canonicalized_monomorphic_type(args, kwargs, {})


_direct_calls: "weakref.WeakKeyDictionary[Any, Optional[_DirectCall]]" = weakref.WeakKeyDictionary()
_converted_types: Dict[type, bool] = {}


def _plain_conversion(value_type: type) -> bool:
    """`ops.convert_to_tensor` turns values of this type into a constant with TF's default conversion
    (no `__tf_tensor__`, no other conversion function registered ahead of it)."""
    known = _converted_types.get(value_type)
    if known is None:
        import numpy as np
        from tensorflow.python.framework import tensor_conversion_registry as registry

        known = (issubclass(value_type, np.ndarray) and getattr(value_type, "__tf_tensor__", None) is None
                 and not hasattr(value_type, "_should_act_as_resource_variable")
                 and registry.get(value_type)[0][1] is registry._default_conversion_function)
        _converted_types[value_type] = known
    return known


def _direct_outputs(step: Any, batch_in: Any) -> Optional[Any]:
    """`step(batch_in)` through the concrete function TF's dispatch would pick, or None where this cannot
    be sure of doing exactly what TF does (then the caller calls `step` itself)."""
    from tensorflow.python.eager import context
    from tensorflow.python.eager.polymorphic_function import function_context
    from tensorflow.python.eager.polymorphic_function import polymorphic_function as pf
    from tensorflow.python.framework import ops

    if pf.RUN_FUNCTIONS_EAGERLY or pf.ALLOW_DYNAMIC_VARIABLE_CREATION or step._jit_compile:
        return None
    # Function._call: without variables created on the first call, the variable-creating compiler runs
    if step._created_variables or step._variable_creation_fn is None or step.input_signature is None:
        return None
    ctx = context.context()
    if not ctx.executing_eagerly() or type(batch_in) not in (tuple, list):
        return None
    direct = _direct_calls.get(step, False)
    if direct is False:
        direct = _new_direct_call(step, batch_in)
    if direct is None or step._variable_creation_fn is not direct.compiler or len(batch_in) != len(direct.specs):
        return None
    for value, numpy_dtype, dims in zip(batch_in, direct.numpy_dtypes, direct.dims):
        # what cast_inputs_to_signature converts without a cast and then finds compatible
        if not _plain_conversion(type(value)) or value.dtype != numpy_dtype or value.ndim != len(dims):
            return None
        if any(dim is not None and dim != size for dim, size in zip(dims, value.shape)):
            return None
    compiler = direct.compiler
    with compiler._lock:
        if compiler._func_captures.by_ref_captures:
            return None  # the lookup type would include their current values
        concrete = compiler._function_cache.lookup(function_context.make_function_context(), direct.lookup_type)
    if concrete is None:
        return None  # TF would trace: let it
    # convert_to_tensor(value, dtype_hint=spec.dtype) -> constant(value, dtype) -> convert_to_eager_tensor
    ctx.ensure_initialized()
    device = ctx.device_name
    tensors = [ops.EagerTensor(value, device, enum) for value, enum in zip(batch_in, direct.enums)]
    return concrete._call_flat(tensors, captured_inputs=concrete.captured_inputs)


def _new_direct_call(step: Any, batch_in: Sequence[Any]) -> Optional[_DirectCall]:
    """The direct call for `step` (remembered), if the concrete function it finds is the one TF's dispatch
    returns for `batch_in`; None (not remembered) for inputs TF refuses, which TF's own call then reports."""
    from tensorflow.python.eager.polymorphic_function import function_context

    try:
        direct = _DirectCall(step, batch_in)
        with direct.compiler._lock:
            dispatched, _ = direct.compiler._maybe_define_function((batch_in,), {})
            found = direct.compiler._function_cache.lookup(function_context.make_function_context(),
                                                           direct.lookup_type)
    except (TypeError, ValueError) as exc:
        log.debug("channels.nlu_speedups: no direct call for these inputs (%s)", exc)
        return None
    if found is not dispatched:
        log.error("channels.nlu_speedups: TF's dispatch picked another function; DIET is called through TF")
        _direct_calls[step] = None
        return None
    _direct_calls[step] = direct
    return direct


def _direct_rasa_predict(original: Callable[..., Any]) -> Callable[..., Any]:
    """`RasaModel._rasa_predict` with its tf.function called directly once it exists (Rasa's code for
    that case, rasa/utils/tensorflow/models.py, with `self._tf_predict_step(batch_in)` replaced)."""
    from rasa.utils.tensorflow import models  # Rasa's own globals, looked up as its code does

    def _rasa_predict(self: Any, batch_in: Any) -> Any:
        step = self._tf_predict_step
        if step is None or self._run_eagerly or not self.prepared_for_prediction:
            return original(self, batch_in)
        outputs = _direct_outputs(step, batch_in)
        if outputs is None:
            return original(self, batch_in)
        self._training = False
        outputs = models.tf_utils.sync_to_numpy_or_python_type(outputs)
        if models.DIAGNOSTIC_DATA in outputs:
            outputs[models.DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[models.DIAGNOSTIC_DATA])
        return outputs

    return _rasa_predict


# ---------------------------------------------------------------------------------------------
# install

def _source_sha256(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _targets() -> Dict[str, Any]:
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.utils.tensorflow.models import RasaModel

    from tensorflow.core.function.polymorphism import function_cache
    from tensorflow.python.eager.polymorphic_function import function_spec, polymorphic_function, tracing_compiler
    from tensorflow.python.framework import constant_op, ops, tensor_conversion_registry

    return {
        "Message._combine_features": Message.__dict__.get("_combine_features"),
        "Features.combine_with_features": Features.__dict__.get("combine_with_features"),
        "Features._combine_sparse_features": Features.__dict__.get("_combine_sparse_features"),
        "RasaModel._rasa_predict": RasaModel.__dict__.get("_rasa_predict"),
        "scipy.sparse.bmat": scipy.sparse.bmat,
        "scipy.sparse.hstack": scipy.sparse.hstack,
        "Function.__call__": polymorphic_function.Function.__call__,
        "Function._call": polymorphic_function.Function._call,
        "TracingCompiler.__call__": tracing_compiler.TracingCompiler.__call__,
        "TracingCompiler._maybe_define_function": tracing_compiler.TracingCompiler._maybe_define_function,
        "FunctionSpec.canonicalize_function_inputs": function_spec.FunctionSpec.canonicalize_function_inputs,
        "function_spec.cast_inputs_to_signature": function_spec.cast_inputs_to_signature,
        "ops.convert_to_tensor": ops.convert_to_tensor,
        "registry._default_conversion_function": tensor_conversion_registry._default_conversion_function,
        "constant_op._constant_impl": constant_op._constant_impl,
        "constant_op._constant_eager_impl": constant_op._constant_eager_impl,
        "constant_op.convert_to_eager_tensor": constant_op.convert_to_eager_tensor,
        "FunctionCache.lookup": function_cache.FunctionCache.lookup,
    }


def _mismatches() -> List[str]:
    """What differs from the code these patches replicate (empty: safe to patch)."""
    import rasa
    import scipy
    import tensorflow

    found = {"rasa": rasa.__version__, "scipy": scipy.__version__, "tensorflow": tensorflow.__version__}
    problems = [f"{name} {found[name]} (expected {version})" for name, version in VERSIONS.items()
                if found[name] != version]
    targets = _targets()
    for name, target in targets.items():
        function = target.__func__ if isinstance(target, staticmethod) else target
        try:
            digest = _source_sha256(function)
        except (TypeError, OSError):
            digest = "no source"
        if digest != SOURCE_SHA256[name]:
            problems.append(f"{name} source {digest[:12]}")
        elif name in _PATCHED and getattr(function, "__wrapped__", None) is not None:
            problems.append(f"{name} is wrapped by another patch")  # whose source is the original's
    if not isinstance(targets["Message._combine_features"], staticmethod):
        problems.append("Message._combine_features is not a staticmethod")
    return problems


def installed() -> bool:
    """Whether both patches are in place in this process."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.utils.tensorflow.models import RasaModel

    combine = Message.__dict__.get("_combine_features")
    return bool(getattr(getattr(combine, "__func__", None), _MARK, False)
                and getattr(RasaModel.__dict__.get("_rasa_predict"), _MARK, False))


def install() -> None:
    """Apply the patches once per process (idempotent); with unexpected internals, log and patch nothing."""
    with _install_lock:
        if installed() or _refused:
            return
        try:
            problems = _mismatches()
        except (ImportError, AttributeError) as exc:
            problems = [repr(exc)]
        if problems:
            _refused.append(problems)
            log.error("channels.nlu_speedups: not patched, the code differs from what it replicates: %s",
                      "; ".join(problems))
            return
        from rasa.shared.nlu.training_data.message import Message
        from rasa.utils.tensorflow.models import RasaModel

        original_combine = Message.__dict__["_combine_features"].__func__
        original_predict = RasaModel.__dict__["_rasa_predict"]
        combine = functools.wraps(original_combine)(_combined_features(original_combine))
        predict = functools.wraps(original_predict)(_direct_rasa_predict(original_predict))
        setattr(combine, _MARK, True)
        setattr(predict, _MARK, True)
        Message._combine_features = staticmethod(combine)  # type: ignore[method-assign]
        RasaModel._rasa_predict = predict  # type: ignore[method-assign]
