import csv
import json

import pytest

from nlp.cli import main


def write_csv(path, rows, header):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def consultation_csv(tmp_path, make_answers):
    texts, labels = make_answers(per_topic=20, seed=2)
    rows = []
    for i, (t, lab) in enumerate(zip(texts, labels, strict=True)):
        q = "Q1" if i % 2 == 0 else "Q2"
        rows.append([f"id{i}", q, t, lab, "support" if i % 3 else "oppose"])
    rows.append(["id-x", "Q1", "n/a", "none", "support"])
    return write_csv(tmp_path / "in.csv", rows, ["ref", "question", "answer", "label", "stance"])


def test_themes_writes_the_contract(tmp_path, consultation_csv):
    out = tmp_path / "out.json"
    code = main(
        [
            "themes",
            str(consultation_csv),
            "--text-column",
            "answer",
            "--id-column",
            "ref",
            "--group-column",
            "question",
            "--stance-column",
            "stance",
            "--seed",
            "3",
            "--out",
            str(out),
            "--embedder",
            "fake",
            "--quiet",
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["meta"]["seed"] == 3 and doc["meta"]["model_sha"]
    assert "precision" in doc["meta"] and "timings" in doc["meta"]
    assert [g["group"] for g in doc["groups"]] == ["Q1", "Q2"]
    seen = []
    for g in doc["groups"]:
        assert set(g) >= {"group", "themes", "assignments", "campaigns", "non_substantive"}
        for t in g["themes"]:
            assert set(t) >= {
                "id",
                "parent",
                "label",
                "description",
                "keywords",
                "size",
                "share",
                "stance_split",
                "quotes",
            }
            assert isinstance(t["id"], int)
        seen += [a["id"] for a in g["assignments"]]
    assert sorted(seen) == sorted([f"id{i}" for i in range(100)] + ["id-x"])
    assert len(seen) == len(set(seen))
    assert doc["groups"][0]["non_substantive"] == ["id-x"]


def test_themes_default_ids_are_row_numbers(tmp_path, consultation_csv):
    out = tmp_path / "o.json"
    assert (
        main(
            [
                "themes",
                str(consultation_csv),
                "--text-column",
                "answer",
                "--out",
                str(out),
                "--embedder",
                "fake",
                "--quiet",
            ]
        )
        == 0
    )
    ids = [a["id"] for a in json.loads(out.read_text())["groups"][0]["assignments"]]
    assert ids == list(range(101))


def test_missing_file(tmp_path, capsys):
    code = main(["themes", str(tmp_path / "nope.csv"), "--text-column", "a", "--out", "x.json"])
    assert code == 2
    assert "File not found" in capsys.readouterr().err


def test_missing_column(tmp_path, consultation_csv, capsys):
    code = main(
        [
            "themes",
            str(consultation_csv),
            "--text-column",
            "comment",
            "--out",
            str(tmp_path / "o.json"),
            "--embedder",
            "fake",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "comment" in err and "Available columns: ref, question, answer" in err


def test_unreadable_csv(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text('a,b\n1,"unterminated\n2,3,4,5\n')
    code = main(
        [
            "themes",
            str(bad),
            "--text-column",
            "a",
            "--out",
            str(tmp_path / "o.json"),
            "--embedder",
            "fake",
        ]
    )
    assert code == 2
    assert "Could not read" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["themes", str(empty), "--text-column", "a", "--out", "o.json"]) == 2


def test_evaluate_prints_scores(tmp_path, consultation_csv, capsys):
    js = tmp_path / "scores.json"
    code = main(
        [
            "evaluate",
            str(consultation_csv),
            "--text-column",
            "answer",
            "--label-column",
            "label",
            "--group-column",
            "question",
            "--embedder",
            "fake",
            "--json",
            str(js),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "NMI" in out and "ARI" in out and "average" in out
    doc = json.loads(js.read_text())
    assert doc["average"]["top"]["nmi"] > 0.8
    assert doc["average"]["top"]["coverage"] >= 0.95
