"""The privacy policy, filled: as plain text (`ledgerline policy render`) and as the
page at `GET /privacy` (issue 11).

Both start from docs/privacy-policy.txt and fill its empty lists with the sections
of `current_policy()` (schema/operations/privacy_policy.py), the very function behind
the `privacyPolicy` query, so the text, the page and the API cannot list different
things. A section's list goes after its paragraph that ends with a colon, or right
under its heading when it has none (section 5).

The page makes no request to another host: no external stylesheet, script or font;
its one inline `<style>` is allowed by a per-response CSP nonce (as server/graphiql.py
does), and every text is escaped.
"""

from __future__ import annotations

import html
import pathlib
import re
import secrets
import textwrap
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse

from schema.operations.privacy_policy import PrivacyPolicy, current_policy
from server.html_page import html_document, page_csp

POLICY_TEXT: pathlib.Path = (
    pathlib.Path(__file__).resolve().parents[1] / "docs" / "privacy-policy.txt"
)
TITLE = "Privacy Policy"
_HEADING = re.compile(r"(\d+(?:\.\d+)?)\.?\s+(\S.*)")


@dataclass
class Section:
    """A heading of the policy (`2.1 Account Information`), its paragraphs and list."""

    number: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    list_after: int = 0
    """How many paragraphs come before the list (the rest follow it)."""

    @property
    def level(self) -> int:
        return 3 if "." in self.number else 2


@dataclass
class PolicyDocument:
    version: str
    last_updated: str
    sections: list[Section]
    closing: list[str]
    """Paragraphs after the last section's own text (the acknowledgement line)."""


def _blocks(text: str) -> list[str]:
    return [" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip()]


def policy_document(policy: PrivacyPolicy | None = None, text: str | None = None) -> PolicyDocument:
    """The policy text split into sections, each list filled from `current_policy()`.

    Raises ValueError when a section of the policy data has no heading in the text,
    so a renamed heading cannot silently drop a list."""
    policy = policy or current_policy()
    text = POLICY_TEXT.read_text(encoding="utf-8") if text is None else text
    sections: list[Section] = []
    closing: list[str] = []
    for block in _blocks(text):
        match = _HEADING.fullmatch(block)
        if match and len(block) < 80:
            sections.append(Section(number=match.group(1), title=match.group(2)))
        elif block.startswith("By using the Service, you acknowledge"):
            closing.append(block)
        elif sections:
            sections[-1].paragraphs.append(block)
        else:  # pragma: no cover - the policy starts with a heading
            closing.append(block)
    by_number = {s.number: s for s in sections}
    for filled in policy.sections:
        section = by_number.get(filled.number)
        if section is None:
            raise ValueError(f"the policy text has no section {filled.number}")
        section.items = list(filled.items)
        colon = [i for i, p in enumerate(section.paragraphs) if p.endswith(":")]
        section.list_after = colon[0] + 1 if colon else 0
    return PolicyDocument(
        version=policy.version,
        last_updated=policy.last_updated.isoformat(),
        sections=sections,
        closing=closing,
    )


def _wrap(text: str, indent: str = "", first: str = "") -> str:
    return textwrap.fill(text, width=88, initial_indent=first or indent, subsequent_indent=indent)


def render_text(document: PolicyDocument | None = None) -> str:
    """The policy as plain text with every list filled (`ledgerline policy render`)."""
    doc = document or policy_document()
    out = [TITLE, "", f"Last updated: {doc.last_updated} (version {doc.version})", ""]
    for section in doc.sections:
        out += [f"{section.number} {section.title}" if section.level == 3
                else f"{section.number}. {section.title}", ""]  # fmt: skip
        for paragraph in section.paragraphs[: section.list_after]:
            out += [_wrap(paragraph), ""]
        if section.items:
            out += [_wrap(item, indent="  ", first="- ") for item in section.items]
            out.append("")
        for paragraph in section.paragraphs[section.list_after :]:
            out += [_wrap(paragraph), ""]
    for paragraph in doc.closing:
        out += [_wrap(paragraph), ""]
    return "\n".join(out).rstrip("\n") + "\n"


_STYLE = """
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: clamp(1rem, 0.95rem + 0.25vw, 1.125rem); color: #1c1f24; background: #fff;
  -webkit-text-size-adjust: 100%; }
main { max-width: 44rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.75em; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3em; line-height: 1.3; margin: 2rem 0 0.5rem;
  padding-top: 0.75rem; border-top: 1px solid #d8dce2; }
h3 { font-size: 1.1em; margin: 1.25rem 0 0.4rem; }
p { margin: 0.5rem 0; }
ul { margin: 0.5rem 0 1rem; padding-left: 1.25rem; }
li { margin: 0.3rem 0; overflow-wrap: anywhere; }
.meta { color: #555c66; margin: 0 0 1rem; }
@media (prefers-color-scheme: dark) {
  body { color: #e6e8eb; background: #15171a; }
  h2 { border-top-color: #343a42; }
  .meta { color: #a3a9b2; }
}
"""


def render_html(nonce: str, document: PolicyDocument | None = None) -> str:
    """The policy page; every text from the policy or the data map is escaped."""
    doc = document or policy_document()
    e = html.escape
    parts: list[str] = []
    for section in doc.sections:
        tag = f"h{section.level}"
        ident = "s" + section.number.replace(".", "-")
        parts.append(f'<section id="{e(ident)}" data-section="{e(section.number)}">')
        parts.append(
            f"<{tag}>{e(section.number)}{'' if section.level == 3 else '.'} "
            f"{e(section.title)}</{tag}>"
        )
        parts += [f"<p>{e(p)}</p>" for p in section.paragraphs[: section.list_after]]
        if section.items:
            parts.append("<ul>")
            parts += [f"<li>{e(item)}</li>" for item in section.items]
            parts.append("</ul>")
        parts += [f"<p>{e(p)}</p>" for p in section.paragraphs[section.list_after :]]
        parts.append("</section>")
    parts += [f"<p>{e(p)}</p>" for p in doc.closing]
    heading = (
        f"<h1>{e(TITLE)}</h1>\n"
        f'<p class="meta">Last updated: <time datetime="{e(doc.last_updated)}">'
        f"{e(doc.last_updated)}</time>\n (version {e(doc.version)})</p>\n"
    )
    return html_document(TITLE, nonce, _STYLE, heading + "\n".join(parts))


def privacy_csp(nonce: str) -> str:
    """Nothing but the page itself and its nonced style: no script, no other host."""
    return page_csp(nonce)


async def privacy_page(_request: Request) -> HTMLResponse:
    """`GET /privacy`: the filled policy; `no-store` because each response has a new nonce."""
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        render_html(nonce),
        headers={"Content-Security-Policy": privacy_csp(nonce), "Cache-Control": "no-store"},
    )
