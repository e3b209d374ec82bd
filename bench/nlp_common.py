"""Shared helpers for the nlp benchmarks (data sets, BERTopic subprocess, output)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
DEFAULT_BERTOPIC_PYTHON = "/work/bench-venv/bin/python"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# labelled sets: name -> (relative path, text column, label column)
LABELLED = {
    "tweet": ("shorttext/tweet.csv", "text", "label"),
    "nyt_headlines": ("policy_topics/nytimes_headlines_3104.csv", "Title", "label_name"),
    "us_congress_bills": ("policy_topics/us_congress_bills_4449.csv", "text", "label_name"),
    "agnews": ("shorttext/agnews_8000.csv", "text", "label"),
    "searchsnippets": ("shorttext/searchsnippets.csv", "text", "label"),
    "stackoverflow": ("shorttext/stackoverflow.csv", "text", "label"),
}


def labelled_sets(data: str | Path, names: list[str]) -> Iterator[tuple[str, list[str], list[str]]]:
    """(name, texts, labels) of each of ``names`` found under ``data``; a set that is missing is reported and
    skipped."""
    import pandas as pd

    for name in names:
        rel, text_col, label_col = LABELLED[name]
        path = Path(data) / rel
        if not path.exists():
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        yield name, df[text_col].tolist(), df[label_col].tolist()


def machine() -> dict[str, Any]:
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    model = re.search(r"model name\s*:\s*(.*)", flags)
    bf16 = sorted(set(re.findall(r"\b(avx512_bf16|amx_bf16)\b", flags)))
    return {
        "cpu": model.group(1) if model else platform.processor(),
        "cores": os.cpu_count(),
        "bf16_flags": bf16,
        "python": platform.python_version(),
    }


def bertopic_python(arg: str | None) -> str | None:
    p = arg or os.environ.get("BERTOPIC_PYTHON") or DEFAULT_BERTOPIC_PYTHON
    if p.lower() == "none" or not Path(p).exists():
        return None
    return p


def run_bertopic(
    python: str, texts: list[str], embeddings_path: str | None = None, timeout: int = 7200
) -> dict[str, Any]:
    """Run bench/nlp_bertopic.py in ``python`` (a venv with bertopic); peak memory is the
    child's maximum resident set size."""
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.json"
        out = Path(tmp) / "out.json"
        job.write_text(json.dumps({"texts": texts, "embeddings": embeddings_path}))
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        proc = subprocess.run(
            [python, str(ROOT / "bench" / "nlp_bertopic.py"), str(job), str(out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"BERTopic run failed:\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text())


def bertopic_topics(python: str, texts: list[str], embeddings: Any) -> list[int | None]:
    """BERTopic's default topic for each text given its embeddings (None where BERTopic left it unassigned)."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        npy = str(Path(tmp) / "emb.npy")
        np.save(npy, embeddings)
        topics = run_bertopic(python, texts, npy)["topics"]
    return [None if x < 0 else x for x in topics]


def kmeans_true_k(emb: Any, k: int, seed: int) -> list[int]:
    """The baseline "KMeans told the true number of labels": k-means with ``k`` clusters (at most one per text) on
    the same embeddings."""
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(emb)))
    return KMeans(n_clusters=k, random_state=seed, n_init=3).fit_predict(emb).tolist()


def score_table(columns: list[str], rows: list[tuple[list[Any], dict[str, Any]]], themes: str = "") -> list[str]:
    """A Markdown table with the given leading columns, then each system's NMI, ARI, coverage and number of themes
    (``themes``: the format of that number, such as ".1f" for a mean)."""
    head = [*columns, "NMI", "ARI", "coverage", "themes"]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cells, m in rows:
        lead = " | ".join(str(c) for c in cells)
        md.append(f"| {lead} | {m['nmi']:.3f} | {m['ari']:.3f} | {m['coverage']:.1%} | {m['themes']:{themes}} |")
    return md


def write_results(name: str, doc: dict[str, Any], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
