"""Time to themes and peak memory from raw text: Engage (``python -m nlp themes``) beside
BERTopic's default pipeline, on 1k, 10k and all petition titles, in the same run. Each system
runs in a fresh process (model loading, numba compilation and embedding included); peak memory
is that process's maximum resident set size.

    .venv/bin/python bench/nlp_scale.py [--data ../shared/data] [--sizes 1000 10000 all]
        [--bertopic-python /work/bench-venv/bin/python] [--repeats 3] [--mixed 100000]

``--repeats R`` runs each size R times, Engage and BERTopic taking turns, and keeps each system's median run (all
times are kept in the JSON), so a slow moment of a shared machine does not decide the comparison.
``--mixed N`` adds a run of Engage alone on N texts pooled from every CSV in the data folder
(petitions, short-text and policy sets) to check the 100k / 4 GB goal.
Writes bench/results/nlp_scale.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import DEFAULT_DATA, LABELLED, ROOT, bertopic_python, machine, write_results  # noqa: E402


def run_measured(cmd: list[str], timeout: float) -> tuple[float, float, int, str]:
    """Run ``cmd``; return (seconds, peak RSS MB, return code, stderr tail)."""
    t = time.perf_counter()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    return time.perf_counter() - t, usage.ru_maxrss / 1024, proc.returncode, tail


def petitions(data: Path) -> list[str]:
    import pandas as pd

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(data.glob("*.csv"))]
    return pd.concat(frames)["Petition"].tolist()


def pooled(data: Path) -> list[str]:
    import pandas as pd

    texts = petitions(data / "petitions")
    for rel, col, _ in LABELLED.values():
        p = data / rel
        if p.exists():
            texts += pd.read_csv(p, dtype=str, keep_default_na=False)[col].tolist()
    return texts


def engage(texts: list[str], tmp: Path, tag: str, timeout: float) -> dict:
    import pandas as pd

    csv = tmp / f"{tag}.csv"
    out = tmp / f"{tag}.json"
    pd.DataFrame({"text": texts}).to_csv(csv, index=False)
    cmd = [sys.executable, "-m", "nlp", "themes", str(csv), "--text-column", "text"]
    cmd += ["--out", str(out), "--quiet"]
    secs, peak, code, tail = run_measured(cmd, timeout)
    if code != 0:
        return {"error": tail, "seconds": secs, "peak_mb": peak}
    doc = json.loads(out.read_text())
    g = doc["groups"][0]
    assigned = sum(a["theme"] is not None for a in g["assignments"])
    gt = doc["meta"]["timings"]["groups"]["all"]
    return {
        "seconds": secs,
        "peak_mb": peak,
        "top_level_themes": sum(t["parent"] is None for t in g["themes"]),
        "themes": len(g["themes"]),
        "coverage": assigned / len(g["assignments"]),
        "precision": doc["meta"]["precision"],
        "stage_s": gt,
    }


def bertopic(python: str, texts: list[str], tmp: Path, tag: str, timeout: float) -> dict:
    job = tmp / f"{tag}.bt.json"
    out = tmp / f"{tag}.bt.out.json"
    job.write_text(json.dumps({"texts": texts, "embeddings": None}))
    cmd = [python, str(ROOT / "bench" / "nlp_bertopic.py"), str(job), str(out)]
    secs, peak, code, tail = run_measured(cmd, timeout)
    if code != 0:
        return {"error": tail, "seconds": secs, "peak_mb": peak}
    doc = json.loads(out.read_text())
    topics = doc["topics"]
    return {
        "seconds": secs,
        "peak_mb": peak,
        "themes": len({t for t in topics if t >= 0}),
        "coverage": sum(t >= 0 for t in topics) / len(topics),
        "stage_s": doc["timings"],
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median time, with every run's time beside it."""
    ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["seconds"])
    chosen = dict(ok[(len(ok) - 1) // 2] if ok else runs[-1])
    chosen["runs_s"] = [round(r["seconds"], 1) for r in runs]
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--sizes", nargs="*", default=["1000", "10000", "all"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bertopic-python", default=None)
    ap.add_argument("--mixed", type=int, default=0, help="also run Engage on N pooled texts")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--repeats", type=int, default=1, help="runs per size and system; the median is kept")
    args = ap.parse_args()
    import random

    data = Path(args.data)
    allp = petitions(data / "petitions")
    bt_python = bertopic_python(args.bertopic_python)
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for size in args.sizes:
            n = len(allp) if size == "all" else min(int(size), len(allp))
            texts = allp if n == len(allp) else random.Random(args.seed).sample(allp, n)
            runs: dict[str, list[dict]] = {"engage": [], "bertopic": []}
            for _ in range(max(1, args.repeats)):
                runs["engage"].append(engage(texts, tmp, f"p{n}", args.timeout))
                print(n, "engage", runs["engage"][-1], flush=True)
                if bt_python:
                    runs["bertopic"].append(bertopic(bt_python, texts, tmp, f"p{n}", args.timeout))
                    print(n, "bertopic", runs["bertopic"][-1], flush=True)
            rows.append({"n": n} | {name: median_run(r) for name, r in runs.items() if r})
        if args.mixed:
            pool = pooled(data)
            texts = random.Random(args.seed).sample(pool, min(args.mixed, len(pool)))
            row = {"n": len(texts), "mixed": True, "engage": engage(texts, tmp, "mixed", 7200)}
            print(len(texts), "mixed engage", row["engage"], flush=True)
            rows.append(row)

    def cell(r: dict, key: str) -> str:
        if key not in r:
            return "| - | - | - | - "
        m = r[key]
        if "error" in m:
            return "| error | - | - | - "
        times = f" (runs: {', '.join(f'{t:.0f}' for t in m['runs_s'])})" if len(m.get("runs_s", [])) > 1 else ""
        return f"| {m['seconds']:.0f}{times} | {m['peak_mb']:.0f} | {m['themes']} | {m['coverage']:.0%} "

    md = [
        "| texts | Engage s | Engage peak MB | Engage themes | Engage coverage "
        "| BERTopic s | BERTopic peak MB | BERTopic topics | BERTopic coverage | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        sp = "-"
        if "bertopic" in r and "error" not in r["bertopic"] and "error" not in r["engage"]:
            sp = f"{r['bertopic']['seconds'] / r['engage']['seconds']:.2f}x"
        name = f"{r['n']}{' (pooled)' if r.get('mixed') else ''}"
        md.append(f"| {name} {cell(r, 'engage')}{cell(r, 'bertopic')}| {sp} |")
    info = machine()
    text = (
        f"Time to themes from raw text (fresh process each); {info['cpu']}, {info['cores']} cores, "
        f"bf16 flags: {', '.join(info['bf16_flags']) or 'none'}\n\n" + "\n".join(md) + "\n"
    )
    write_results("nlp_scale", {"machine": info, "rows": rows}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
