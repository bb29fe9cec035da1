"""The one error type for bad user input: it names the source, the key path and what was expected."""

from __future__ import annotations

# the characters str.splitlines breaks at: a key or value holding one is escaped, so a message stays one line
LINE_BREAKS = {c: c.encode("unicode_escape").decode() for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class InputError(Exception):
    """Bad input; rendered as one line ``<source>: <key path>: <message>`` and exit code 2."""

    def __init__(self, message: str, source: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.source = source
        self.key = key
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line rendering shown to the user."""
        parts = [p for p in (self.source, self.key) if p]
        return one_line(": ".join([*parts, self.message]))

    def at(self, source: str | None = None, key: str | None = None) -> InputError:
        """A copy with the source and/or the key path filled in when missing."""
        return InputError(self.message, self.source or source, self.key or key)


def one_line(text: str) -> str:
    """``text`` with its line breaks escaped (``\\n``), for messages of one line."""
    return text.translate(str.maketrans(LINE_BREAKS))


def show(value: object) -> str:
    """Short rendering of a user value for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
