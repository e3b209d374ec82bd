"""Officers' Markdown is rendered without any way to inject markup."""

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
        html = str(render_markdown(hostile))
        assert "<script" not in html and "<img" not in html and "<iframe" not in html, hostile
        assert 'href="javascript' not in html and "href='javascript" not in html, hostile


def test_empty_text_is_empty():
    assert str(render_markdown(None)) == ""
