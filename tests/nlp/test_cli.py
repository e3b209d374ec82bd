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


def test_an_unreadable_file_gets_a_plain_message(tmp_path, capsys, monkeypatch):
    path = write_csv(tmp_path / "locked.csv", [["yes"]], ["answer"])

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pathlib.Path.open", refuse)
    assert main(["themes", str(path), "--text-column", "answer", "--out", str(tmp_path / "o.json")]) == 2
    assert "Could not read" in (err := capsys.readouterr().err) and "Permission denied" in err


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


def _fake_themes(path, tmp_path, *extra):
    out = tmp_path / "out.json"
    code = main(["themes", str(path), "--out", str(out), "--embedder", "fake", "--quiet", *extra])
    return code, (json.loads(out.read_text()) if code == 0 else None)


def test_an_excel_workbook_is_read_like_a_csv(tmp_path, consultation_csv):
    from openpyxl import Workbook

    with open(consultation_csv, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Exported from the council's survey tool"])
    sheet = book.create_sheet("Responses")
    for i, row in enumerate(table):
        sheet.append(row if i == 0 else [1000 + i, *row[1:]])  # references as numbers, as spreadsheets keep them
    workbook = tmp_path / "responses.xlsx"
    book.save(workbook)
    columns = ["--text-column", "answer", "--id-column", "ref", "--group-column", "question"]
    code, from_csv = _fake_themes(consultation_csv, tmp_path, *columns, "--stance-column", "stance")
    assert code == 0
    code, from_book = _fake_themes(workbook, tmp_path, *columns, "--stance-column", "stance", "--sheet", "Responses")
    assert code == 0
    # the same answers give the same themes, whichever file they came in
    for a, b in zip(from_csv["groups"], from_book["groups"], strict=True):
        assert [t["label"] for t in a["themes"]] == [t["label"] for t in b["themes"]]
        assert [x["theme"] for x in a["assignments"]] == [x["theme"] for x in b["assignments"]]
    ids = [x["id"] for g in from_book["groups"] for x in g["assignments"]]
    assert sorted(ids) == sorted(str(1000 + i) for i in range(1, 102))
    # the first sheet is read unless another is named
    code, _ = _fake_themes(workbook, tmp_path, *columns)
    assert code == 2


def test_a_workbook_problem_gets_a_plain_message(tmp_path, capsys):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Responses"
    book.active.append(["answer"])
    workbook = tmp_path / "r.xlsx"
    book.save(workbook)
    assert _fake_themes(workbook, tmp_path, "--text-column", "answer", "--sheet", "Sheet9")[0] == 2
    assert "No sheet named 'Sheet9' in" in capsys.readouterr().err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(workbook.read_bytes()[:300])
    assert _fake_themes(broken, tmp_path, "--text-column", "answer")[0] == 2
    assert "Could not read" in (err := capsys.readouterr().err) and "as an Excel workbook" in err
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert _fake_themes(old, tmp_path, "--text-column", "answer")[0] == 2
    assert "save it as .xlsx or CSV" in capsys.readouterr().err
    csv_file = write_csv(tmp_path / "a.csv", [["yes"]], ["answer"])
    assert _fake_themes(csv_file, tmp_path, "--text-column", "answer", "--sheet", "Responses")[0] == 2
    assert "--sheet is for Excel workbooks" in capsys.readouterr().err


def test_several_text_columns_are_each_themed_on_their_own(tmp_path, make_answers, capsys):
    # a wide export, as Engage writes it: one row per response, one column per question
    q1, labels1 = make_answers(per_topic=15, seed=4)
    q2, labels2 = make_answers(per_topic=15, seed=5)
    rows = [[f"R{i}", a, b, "Support" if i % 2 else "Oppose"] for i, (a, b) in enumerate(zip(q1, q2, strict=True))]
    header = ["Reference", "Q1: What should change?", "Q2: Why do you say that?", "Q3: Do you support the plan?"]
    path = write_csv(tmp_path / "wide.csv", rows, header)
    common = ["--id-column", "Reference", "--stance-column", "Q3"]
    code, doc = _fake_themes(path, tmp_path, "--text-column", "Q1", "Q2: Why do you say that?", *common)
    assert code == 0
    assert [g["group"] for g in doc["groups"]] == ["Q1: What should change?", "Q2: Why do you say that?"]
    assert doc["meta"]["text_columns"] == header[1:3]
    for g, texts in zip(doc["groups"], (q1, q2), strict=True):
        assert sorted(a["id"] for a in g["assignments"]) == sorted(f"R{i}" for i in range(len(texts)))
        assert len(g["themes"]) >= 2
        assert all(set(t["stance_split"]) <= {"Support", "Oppose"} and t["stance_split"] for t in g["themes"])
    # each column gives what it gives when themed alone
    code, alone = _fake_themes(path, tmp_path, "--text-column", "Q2", *common)
    assert [t["label"] for t in alone["groups"][0]["themes"]] == [t["label"] for t in doc["groups"][1]["themes"]]
    # with a group column too, each question is themed per group
    code, both = _fake_themes(path, tmp_path, "--text-column", "Q1", "Q2", "--group-column", header[3])
    assert code == 0
    assert [g["group"] for g in both["groups"]] == [f"{c} / {s}" for c in header[1:3] for s in ("Oppose", "Support")]


def test_a_text_column_named_by_a_code_must_name_one_column(tmp_path, capsys):
    header = ["Q1: What should change?", "Q10: Anything else?", "Q1: (continued)"]
    path = write_csv(tmp_path / "w.csv", [["a", "b", "c"]], header)
    assert _fake_themes(path, tmp_path, "--text-column", "Q1")[0] == 2
    err = capsys.readouterr().err
    assert "Column not found" in err and "2 columns start with 'Q1'" in err and "Available columns:" in err
    assert _fake_themes(path, tmp_path, "--text-column", "Q10", "Q10: Anything else?")[0] == 2
    assert "named twice" in capsys.readouterr().err
    assert _fake_themes(path, tmp_path, "--text-column", "Q10")[0] == 0
