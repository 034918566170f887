"""Text from collection data made safe to print on a terminal or to put in a one-line message.

A catalogue value, a column name or a file name can hold control characters (an escape sequence
pasted from a terminal, a stray carriage return); printed raw they rewrite the user's screen or split
one error into several lines. They are shown as Python writes them instead: \\x1b, \\u200b.
"""

from __future__ import annotations

import re


def printable(text: str) -> str:
    """`text` with every non-printable character (newline and tab included) shown as an escape."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in str(text))


def one_line(text: str) -> str:
    """A possibly multi-line message (a YAML parser's, say) as one printable line: its lines are
    joined with spaces, then what is still not printable is escaped."""
    lines = [line.strip() for line in re.split(r"\r?\n", str(text))]
    return printable(" ".join(line for line in lines if line))


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
