import hashlib

import numpy as np
import pytest

from nlp import FakeEmbedder, MemoryCache, ModelIntegrityError, NumpyDiskCache, text_hash
from nlp.embed import SentenceEmbedder, cpu_has_bf16, verify_model


def test_fake_embedder_is_deterministic_and_normalised():
    a = FakeEmbedder().encode(["more buses please", "fix the potholes"])
    b = FakeEmbedder().encode(["more buses please", "fix the potholes"])
    assert a.shape == (2, 64) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    near = FakeEmbedder().encode(["more buses please", "more buses", "green belt"])
    assert near[0] @ near[1] > near[0] @ near[2]


def test_empty_input():
    assert FakeEmbedder().encode([]).shape == (0, 64)


def test_memory_cache_avoids_embedding_twice():
    cache = MemoryCache()
    emb = FakeEmbedder(cache=cache)
    first = emb.encode(["a b c", "d e f", "a b c"])
    assert emb.calls == 2  # duplicates embedded once
    second = emb.encode(["d e f", "a b c"])
    assert emb.calls == 2  # everything came from the cache
    np.testing.assert_array_equal(first[[1, 0]], second)
    assert len(cache) == 2


def test_disk_cache_round_trip(tmp_path):
    emb = FakeEmbedder(cache=NumpyDiskCache(tmp_path))
    vecs = emb.encode(["one two", "three four"])
    emb2 = FakeEmbedder(cache=NumpyDiskCache(tmp_path))
    again = emb2.encode(["three four", "one two", "five six"])
    assert emb2.calls == 1
    np.testing.assert_array_equal(again[:2], vecs[[1, 0]])
    files = sorted(p.name for p in (tmp_path / emb.model_sha).iterdir())
    assert all(f.endswith(".npy") for f in files)
    # nothing pickled: loads with allow_pickle=False
    for f in (tmp_path / emb.model_sha).iterdir():
        np.load(f, allow_pickle=False)
    got = NumpyDiskCache(tmp_path).get_many(emb.model_sha, [text_hash("one two"), "missing"])
    assert list(got) == [text_hash("one two")]


def test_sha_mismatch_refuses_with_clear_message(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelIntegrityError) as err:
        verify_model(tmp_path)
    msg = str(err.value)
    assert "Refusing to run" in msg and "sha256" in msg
    assert hashlib.sha256(b"not the real weights").hexdigest() in msg
    with pytest.raises(ModelIntegrityError):
        SentenceEmbedder(model_dir=tmp_path)


def test_missing_weights(tmp_path):
    with pytest.raises(ModelIntegrityError, match="not found"):
        verify_model(tmp_path)


def test_cpu_flag_probe_returns_bool():
    assert isinstance(cpu_has_bf16(), bool)


def test_bad_precision():
    with pytest.raises(ValueError):
        SentenceEmbedder(precision="int4")
