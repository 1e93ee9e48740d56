"""What was found in a message, looked up by position.

Clauses and activities ask "which dates (places, counts) start inside [start, end)?" once each;
scanning every item per question is quadratic in a long message. The items are kept in order of
their start, so each question is two binary searches.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar, overload


class Positioned(Protocol):
    @property
    def start(self) -> int: ...


P = TypeVar("P", bound=Positioned)


class ByStart(Sequence[P], Generic[P]):
    """Items in order of their start (as the finders give them), with lookups by position."""

    def __init__(self, items: Iterable[P]) -> None:
        self._items = tuple(items)
        self._starts = [item.start for item in self._items]
        if self._starts != sorted(self._starts):  # (sorted in C: faster than a pairwise check here)
            raise ValueError("items must come in order of their start")

    @overload
    def __getitem__(self, index: int) -> P: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[P]: ...
    def __getitem__(self, index: int | slice) -> P | Sequence[P]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[P]:
        return iter(self._items)

    def within(self, start: int, end: int) -> Sequence[P]:
        """The items that start in [start, end), in order, made in logarithmic time: a view, or a
        copy of a few (a tuple's length and iteration are C's, a view's Python's: most runs asked
        for are a clause's one or two items)."""
        # (bisect_left called here, not through a method: asked per clause and per activity)
        low, high = bisect_left(self._starts, start), bisect_left(self._starts, end)
        return self._items[low:high] if high - low <= _COPIED_MAX else _Run(self._items, low, high)

    def first(self, start: int, end: int) -> P | None:
        """The first item that starts in [start, end)."""
        index = bisect_left(self._starts, start)
        return self._items[index] if index < len(self._starts) and self._starts[index] < end else None


# A run this short is copied: bounded work per question, so the walk stays linear.
_COPIED_MAX = 8


class _Run(Sequence[P], Generic[P]):
    """items[low:high] without copying them: asked once per clause, a copy of the rest of a
    long message's items would make the whole walk quadratic."""

    def __init__(self, items: tuple[P, ...], low: int, high: int) -> None:
        self._items, self._low, self._high = items, low, max(low, high)

    @overload
    def __getitem__(self, index: int) -> P: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[P]: ...
    def __getitem__(self, index: int | slice) -> P | Sequence[P]:
        if isinstance(index, slice):
            return self._items[self._low : self._high][index]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._items[self._low + index % len(self)]

    def __len__(self) -> int:
        return self._high - self._low

    def __iter__(self) -> Iterator[P]:
        return iter(self._items[self._low : self._high])  # a copy of what is iterated anyway
