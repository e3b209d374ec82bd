"""Markdown that officers write (proposals, problem statements), rendered safely for every page."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark without raw HTML, with tables; links get rel attributes.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML that is safe to show: markdown-it-py without raw HTML, then sanitised by nh3."""
    html = _markdown.render(text or "")
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow"))  # noqa: S704  # nosec B704 - sanitised by nh3
