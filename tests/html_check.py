"""Reading an HTML report as a browser would: well-formed tags, every attribute, the pass-rate cells."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class HtmlChecker(HTMLParser):
    """Tracks open tags (well-formedness), every attribute, and the pass-rate cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.tags: set[str] = set()
        self.rates: dict[str, str] = {}
        self._rate_of: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        self._rate_of = dict(attrs).get("data-check")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> inattendu")

    def handle_data(self, data):
        if self._rate_of:
            self.rates[self._rate_of] = data
            self._rate_of = None
