"""Officers' Markdown is rendered without any way to inject markup."""

from bs4 import BeautifulSoup

from engage.markdown import render_markdown


def test_markdown_is_rendered():
    html = str(render_markdown("## Plan\n\n* one\n* two\n\n[the plan](https://council.example/plan)"))
    assert "<h2>Plan</h2>" in html
    assert "<li>one</li>" in html
    assert 'href="https://council.example/plan"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_raw_html_and_scripts_never_come_through():
    for hostile in [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil.example></iframe>",
    ]:
        page = BeautifulSoup(str(render_markdown(hostile)), "html.parser")
        assert page.find_all(["script", "img", "iframe"]) == [], hostile
        assert all(not a.get("href", "").startswith("javascript") for a in page.find_all("a")), hostile
        assert all(not any(k.startswith("on") for k in tag.attrs) for tag in page.find_all(True)), hostile


def test_empty_text_is_empty():
    assert str(render_markdown(None)) == ""
