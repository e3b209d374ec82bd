import hashlib
import multiprocessing

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


def _write_texts(folder: str, prefix: str, count: int) -> None:
    emb = FakeEmbedder(cache=NumpyDiskCache(folder))
    for i in range(count):
        emb.encode([f"{prefix} answer number {i}"])  # one new file each time


def test_disk_cache_shared_by_two_runs_at_once_keeps_what_each_wrote(tmp_path):
    # two command-line runs sharing one --cache-dir, writing at the same moment
    ctx = multiprocessing.get_context("fork")
    runs = [ctx.Process(target=_write_texts, args=(str(tmp_path), name, 150)) for name in ("first", "second")]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
        assert run.exitcode == 0
    later = FakeEmbedder(cache=NumpyDiskCache(tmp_path))
    later.encode([f"{name} answer number {i}" for name in ("first", "second") for i in range(150)])
    assert later.calls == 0  # every text either run embedded is there, none damaged
    assert not [p for p in (tmp_path / later.model_sha).iterdir() if p.name.endswith(".tmp")]


def test_disk_cache_skips_a_damaged_file_and_embeds_its_texts_again(tmp_path, capsys):
    emb = FakeEmbedder(cache=NumpyDiskCache(tmp_path))
    emb.encode(["one two"])
    emb.encode(["three four"])
    folder = tmp_path / emb.model_sha
    damaged = sorted(folder.glob("shard-*.vecs.npy"))[0]
    np.save(damaged, np.zeros((0, 4), dtype=np.float32), allow_pickle=False)  # keys left without their vectors
    again = FakeEmbedder(cache=NumpyDiskCache(tmp_path))
    vecs = again.encode(["one two", "three four"])
    assert again.calls == 1  # only the damaged file's text is embedded again
    assert vecs.shape == (2, emb.dim) and np.all(np.isfinite(vecs))
    assert "skipping unreadable embedding cache file" in capsys.readouterr().err
