import numpy as np

from nlp import FakeEmbedder
from nlp.preprocess import (
    MAX_CHARS,
    DefaultPreprocessor,
    dedupe_key,
    is_non_substantive,
    near_duplicate_groups,
    normalise,
)


def test_normalise_html_unicode_whitespace():
    assert normalise("<p>Hello&nbsp;<b>world</b></p>\n\n  again") == "Hello world again"
    assert normalise("ﬁne  \t cafe\u0301") == "fine café"
    assert normalise(None) == ""
    assert normalise(float("nan")) == ""
    assert normalise("<script>alert(1)</script>Keep the park") == "Keep the park"
    assert normalise("Love it 😍🌳") == "Love it 😍🌳"


def test_normalise_cuts_very_long_answers():
    long = "word " * 5000
    out = normalise(long)
    assert len(out) <= MAX_CHARS
    assert out.startswith("word word")


def test_non_substantive():
    for t in [
        "no",
        "N/A",
        "none",
        "Agree",
        "no comment",
        "",
        "   ",
        "n/a.",
        "Nothing to add",
        "...",
    ]:
        assert is_non_substantive(normalise(t)), t
    for t in ["No more houses on the green belt", "Agree with more buses", "Nein zum Neubau"]:
        assert not is_non_substantive(normalise(t)), t


def test_exact_duplicates_ignore_case_and_punctuation():
    prep = DefaultPreprocessor().prepare(
        ["Save the library!", "save the library", "SAVE THE LIBRARY.", "no", "More buses"]
    )
    assert prep.non_substantive == [3]
    assert len(prep.unique_texts) == 2
    assert prep.counts.tolist() == [3, 1]
    assert prep.row_to_unique.tolist() == [0, 0, 0, -1, 1]
    assert dedupe_key("Hello,  World!") == "hello world"


def test_near_duplicates_grouped():
    texts = [
        "I object to the new development on the playing fields because it removes green space",
        "I object to the new development on the playing fields because it removes green space for children",
        "Buses should run later in the evening",
    ]
    emb = FakeEmbedder(dim=256).encode(texts)
    rep = near_duplicate_groups(emb, texts, threshold=0.9)
    assert rep[0] == rep[1] == 0
    assert rep[2] == 2
    # short texts are never merged as near-duplicates
    short = ["more buses", "more buses please"]
    rep = near_duplicate_groups(FakeEmbedder().encode(short), short, threshold=0.5)
    assert rep.tolist() == [0, 1]
    assert isinstance(rep, np.ndarray)


def test_a_stance_is_its_side_whatever_its_strength():
    from nlp.preprocess import stance_side

    assert [stance_side(v) for v in ["Strongly support", "Tend to support", "Support", " support "]] == [
        "Support",
        "Support",
        "Support",
        "support",
    ]
    assert stance_side("STRONGLY OPPOSE") == "OPPOSE" and stance_side("strongly_oppose") == "oppose"
    # a middle answer and "don't know" are sides of their own; an answer with no stance has none
    assert stance_side("Neither support nor oppose") == "Neither support nor oppose"
    assert stance_side("Don't know") == "Don't know" and stance_side("-1") == "-1"
    assert [stance_side(v) for v in [None, "", "   ", float("nan")]] == [None] * 4
    assert stance_side("Strongly") == "Strongly"  # nothing to fold into
