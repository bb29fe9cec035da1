"""Registries of plug-ins: a name the user writes -> (typed options class, factory, help).

Every kind of plug-in (models, strategies, benchmark sources, backends, peers, early-termination
rules) has one registry, built once from a list of entries in its package's catalogue. Adding a
plug-in is its class plus one entry; the CLI help, run_conf validation and the API's option
schemas are read from the registries.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

F = TypeVar("F")


class Entry(NamedTuple):
    """One plug-in: its name, factory, options class, help text and kind-specific facts.

    ``options`` is the options class, or ``"module:Class"`` (imported when first needed, so that
    listing the registry, as the CLI help does, imports no plug-in), or None.
    """

    name: str
    factory: Any
    options: type | str | None = None
    help: str = ""
    aliases: tuple[str, ...] = ()
    facts: dict[str, Any] = {}  # noqa: RUF012 (never mutated)

    def options_class(self) -> type | None:
        """The options class (imported if given by name)."""
        if isinstance(self.options, str):
            module, _, name = self.options.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.options


class Registry(Generic[F]):
    """An immutable, ordered mapping of names (and aliases) to entries."""

    def __init__(self, kind: str, entries: Sequence[Entry], case_insensitive: bool = False) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}
        self._folded: dict[str, str] | None = {} if case_insensitive else None  # lower-case name -> registered
        for entry in entries:
            if entry.name in self._entries or entry.name in self._aliases:
                raise ValueError(f"{kind} {entry.name!r} is registered twice")
            self._entries[entry.name] = entry
            for alias in entry.aliases:
                self._aliases[alias] = entry.name
            if self._folded is not None:
                for name in (entry.name, *entry.aliases):
                    if self._folded.setdefault(name.lower(), entry.name) != entry.name:
                        raise ValueError(f"{kind} {name!r} differs from another only in case")

    def canonical(self, name: str) -> str | None:
        """The registered name of ``name`` or of its alias (in any case, if so registered), or None."""
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        return self._folded.get(name.lower()) if self._folded is not None else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) is not None

    def __getitem__(self, name: str) -> Entry:
        canonical = self.canonical(name)
        if canonical is None:
            raise KeyError(name)
        return self._entries[canonical]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        """Registered names, in registration order (aliases excluded)."""
        return list(self._entries)

    def options_classes(self) -> list[type]:
        """The distinct options classes of the entries, in registration order."""
        out: list[type] = []
        for entry in self._entries.values():
            cls = entry.options_class()
            if cls is not None and cls not in out:
                out.append(cls)
        return out
