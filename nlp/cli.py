"""Command line: ``python -m nlp themes ...`` and ``python -m nlp evaluate ...``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2


class CliError(Exception):
    """A problem with the user's input, shown as one plain line."""


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def read_table(path: str, columns: Sequence[str | None], sheet: str | None = None) -> Any:
    """The rows of a CSV file (UTF-8, or Windows-1252 as older spreadsheets save it) or of one sheet of an Excel
    workbook (.xlsx; the first sheet unless ``sheet`` names another), as text, checked for ``columns``."""
    p = Path(path)
    if not p.exists():
        raise CliError(f"File not found: {path}")
    if not p.is_file():
        raise CliError(f"Not a file: {path}")
    try:
        with p.open("rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
    except OSError as e:
        raise CliError(f"Could not read {path}: {e.strerror or e}") from e
    if p.suffix.lower() == ".xls":
        raise CliError(f"Could not read {path}: Excel 97-2003 workbooks (.xls) are not read; save it as .xlsx or CSV")
    if p.suffix.lower() in WORKBOOK_SUFFIXES or is_zip:
        df = _read_workbook(path, sheet)
    elif sheet:
        raise CliError(f"--sheet is for Excel workbooks (.xlsx); {path} is read as CSV")
    else:
        df = _read_csv(path)
    missing = [c for c in columns if c and c not in df.columns]
    if missing:
        available = ", ".join(map(str, df.columns)) or "(none)"
        raise CliError(
            f"Column{'s' if len(missing) > 1 else ''} not found in {path}: "
            f"{', '.join(missing)}. Available columns: {available}"
        )
    return df


def _read_workbook(path: str, sheet: str | None) -> Any:
    import zipfile

    import pandas as pd

    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            if sheet is not None and sheet not in names:
                raise CliError(f"No sheet named {sheet!r} in {path}. Sheets: {', '.join(names)}")
            df = pd.read_excel(
                book, sheet if sheet is not None else 0, dtype=str, keep_default_na=False, na_filter=False
            )
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise CliError(f"Could not read {path} as an Excel workbook: {str(e).strip() or type(e).__name__}") from e
    df.columns = [str(c) for c in df.columns]
    return df


def _read_csv(path: str) -> Any:
    import pandas as pd

    last: Exception | None = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, on_bad_lines="error")
            break
        except UnicodeDecodeError as e:
            last = e
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
            raise CliError(f"Could not read {path} as CSV: {str(e).strip()}") from e
    else:
        raise CliError(f"Could not read {path} as CSV: unknown text encoding ({last})")
    return df


def make_embedder(name: str, cache_dir: str | None) -> Any:
    from .embed import FakeEmbedder, NumpyDiskCache, SentenceEmbedder

    cache = NumpyDiskCache(cache_dir) if cache_dir else None
    if name == "fake":
        return FakeEmbedder(cache=cache)
    return SentenceEmbedder(cache=cache, precision=name if name != "minilm" else "auto")


def resolve_columns(df: Any, path: str, names: Sequence[str]) -> list[str]:
    """The text columns asked for, as named in the file. A name that is not a column may be a question's code in
    Engage's export, whose columns are headed "Q2: Why do you say that?": it names the one column starting "Q2:"."""
    resolved = []
    for name in names:
        if name in df.columns:
            resolved.append(name)
            continue
        starts = [c for c in df.columns if str(c).startswith(f"{name}:")]
        if len(starts) != 1:
            available = ", ".join(map(str, df.columns)) or "(none)"
            why = f"{len(starts)} columns start with {name!r}: " if starts else ""
            raise CliError(f"Column not found in {path}: {name}. {why}Available columns: {available}")
        resolved.append(starts[0])
    if len(set(resolved)) != len(resolved):
        raise CliError(f"A text column is named twice: {', '.join(resolved)}")
    return resolved


def _groups(df: Any, text_columns: list[str], group_column: str | None) -> list[tuple[str, str, Any]]:
    """(name, text column, rows) for each part themed on its own: each group of each text column."""
    parts = []
    for column in text_columns:
        if not group_column:
            parts.append(("all" if len(text_columns) == 1 else column, column, df))
            continue
        for g in dict.fromkeys(df[group_column].tolist()):
            name = str(g) if len(text_columns) == 1 else f"{column} / {g}"
            parts.append((name, column, df[df[group_column] == g]))
    return parts


class _Bar:
    """One progress bar on stderr across all groups (silent when stderr is not a terminal
    unless forced)."""

    def __init__(self, n_groups: int, enabled: bool) -> None:
        self.n_groups = max(n_groups, 1)
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100 * self.n_groups, file=sys.stderr, unit="%", leave=True)
        self.done = 0

    def for_group(self, index: int, name: str) -> Any:
        def cb(fraction: float, message: str) -> None:
            if self.bar is None:
                return
            target = int(100 * (index + fraction))
            if target > self.bar.n:
                self.bar.update(target - self.bar.n)
            self.bar.set_description_str(f"{name[:20]}: {message[:40]}", refresh=False)

        return cb

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fit_groups(args: argparse.Namespace, label_column: str | None = None) -> tuple[Any, list]:
    from .pipeline import ThemePipeline

    df = read_table(args.input, [args.id_column, args.group_column, label_column], args.sheet)
    args.text_columns = resolve_columns(df, args.input, args.text_column)
    if args.stance_column:
        args.stance_column = resolve_columns(df, args.input, [args.stance_column])[0]
    embedder = make_embedder(args.embedder, args.cache_dir)
    groups = _groups(df, args.text_columns, args.group_column)
    bar = _Bar(len(groups), enabled=not args.quiet and (sys.stderr.isatty() or args.progress))
    fitted = []
    try:
        for gi, (name, column, part) in enumerate(groups):
            ids = part[args.id_column].tolist() if args.id_column else list(part.index)
            if not args.id_column:
                ids = [int(i) for i in ids]
            stances = part[args.stance_column].tolist() if args.stance_column else None
            pipe = ThemePipeline(embedder=embedder, random_state=args.seed)
            pipe.fit(
                part[column].tolist(),
                ids=ids,
                stances=stances,
                progress=bar.for_group(gi, name),
                group=name,
            )
            fitted.append((name, part, pipe))
    finally:
        bar.close()
    return embedder, fitted


def cmd_themes(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    embedder, fitted = _fit_groups(args)
    out = {
        "meta": {
            "model_sha": getattr(embedder, "model_sha", None),
            "seed": args.seed,
            "precision": getattr(embedder, "precision", None),
            "input": str(args.input),
            "text_columns": args.text_columns,
            "n_rows": sum(len(p) for _, p, _ in fitted),
            "n_groups": len(fitted),
            "timings": {
                "total_s": round(time.perf_counter() - t0, 3),
                "groups": {name: pipe.model_.meta.get("timings", {}) for name, _, pipe in fitted},
            },
        },
        "groups": [pipe.to_dict() for _, _, pipe in fitted],
    }
    out_path = Path(args.out)
    if out_path.parent and not out_path.parent.exists():
        out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.quiet:
        for name, part, pipe in fitted:
            m = pipe.model_
            msg = f" ({m.message})" if m.message else ""
            print(
                f"{name}: {len(part)} answers, {len(m.top_level)} themes, "
                f"{len(m.themes) - len(m.top_level)} sub-themes, "
                f"coverage {m.meta.get('coverage', 0):.0%}{msg}",
                file=sys.stderr,
            )
        print(f"Wrote {out_path}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import average, score

    _, fitted = _fit_groups(args, label_column=args.label_column)
    rows: dict[str, list[dict[str, Any]]] = {"leaf": [], "top": []}
    per_group = []
    for name, part, pipe in fitted:
        y = part[args.label_column].tolist()
        entry: dict[str, Any] = {"group": name}
        for level in ("leaf", "top"):
            s = score(y, pipe.model_.labels(level))
            rows[level].append(s)
            entry[level] = s
        entry["seconds"] = pipe.model_.meta.get("timings", {}).get("total_s")
        per_group.append(entry)
    header = f"{'group':<28} {'level':<5} {'n':>7} {'NMI':>6} {'ARI':>6} {'cover':>6} themes/labels"
    print(header)
    for entry in per_group:
        for level in ("leaf", "top"):
            s = entry[level]
            print(
                f"{entry['group'][:28]:<28} {level:<5} {s['n']:>7} {s['nmi']:>6.3f} "
                f"{s['ari']:>6.3f} {s['coverage']:>6.1%} {s['themes']}/{s['labels']}"
            )
    if len(per_group) > 1:
        for level in ("leaf", "top"):
            a = average(rows[level])
            print(
                f"{'average':<28} {level:<5} {a['n']:>7} {a['nmi']:>6.3f} {a['ari']:>6.3f} "
                f"{a['coverage']:>6.1%} {a['themes']:.1f}/{a['labels']:.1f}"
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"groups": per_group, "average": {lv: average(rows[lv]) for lv in rows}}, indent=1),
            encoding="utf-8",
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nlp", description="Engage theme analysis")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("input", help="CSV file or Excel workbook (.xlsx) with one answer per row")
        sp.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
        sp.add_argument(
            "--text-column",
            required=True,
            nargs="+",
            metavar="COL",
            help="column(s) holding answer text; several are each themed on their own (a question's code, such as "
            "Q2, names its column in Engage's export)",
        )
        sp.add_argument("--id-column", help="column with row ids (default: row number from 0)")
        sp.add_argument("--group-column", help="theme each value (e.g. each question) separately")
        sp.add_argument("--stance-column", help="support/oppose (or similar) for each answer (a column or a code)")
        sp.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        sp.add_argument(
            "--embedder",
            default="minilm",
            choices=["minilm", "fp32", "bf16", "fake"],
            help="minilm = all-MiniLM-L6-v2 with automatic precision; fake = test embedder",
        )
        sp.add_argument("--cache-dir", help="keep embeddings in this directory between runs")
        sp.add_argument("--progress", action="store_true", help="progress bar even when piped")
        sp.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    t = sub.add_parser("themes", help="find themes and write them as JSON")
    common(t)
    t.add_argument("--out", required=True, help="output JSON file")
    t.set_defaults(func=cmd_themes)

    e = sub.add_parser("evaluate", help="compare themes with human labels (NMI, ARI, coverage)")
    common(e)
    e.add_argument("--label-column", required=True, help="column with the human label")
    e.add_argument("--json", help="also write the scores to this JSON file")
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .embed import ModelIntegrityError

    try:
        return int(args.func(args))
    except (CliError, ModelIntegrityError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
