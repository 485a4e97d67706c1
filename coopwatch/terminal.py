"""Crawled text made inert for the terminal: no rich markup, no escape sequences, no fake lines.

Titles, URLs, snippets, facet values, speakers, source names and error texts come from pages and
servers we do not control. Printed through rich they could crash it (``[/bold]`` is a MarkupError),
hide a hyperlink (``[link=...]``), blink, or, as raw control characters, drive the terminal itself
(``ESC ]8;;`` hyperlinks, cursor moves, title changes). Every such string goes through :func:`inline`
(one line, for markup-enabled output and table cells), :func:`one_line` (one line printed with
``markup=False``) or :func:`block` (multi-line text printed with ``markup=False``).
"""

from __future__ import annotations

import re

from rich.markup import escape

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab and newline), DEL and C1
LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


def visible_controls(text: str) -> str:
    """Replace control characters (ESC, BEL, CSI ...) by their visible ``\\xNN`` form."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def block(value: object) -> str:
    """Return crawled multi-line text safe to print with ``markup=False`` (control characters made visible)."""
    return visible_controls("" if value is None else str(value))


def one_line(value: object) -> str:
    """Return crawled text as one line for ``markup=False`` output: breaks joined, control characters visible."""
    return visible_controls(LINE_BREAKS.sub(" ", "" if value is None else str(value)))


def inline(value: object) -> str:
    """Return crawled text as one safe line for rich markup or a table cell: breaks joined, controls visible, markup escaped."""
    return escape(one_line(value))
