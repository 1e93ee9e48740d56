"""Who is bound where, as this process last saw it: the pre-reading's guess (handlers.prereading)."""

from __future__ import annotations


class SenderUnits:
    """The unit each sender was last found bound to (None: not bound) by this process: what the
    pre-reading assumes, so a known sender's text is read without a database round trip. Never
    the truth: handling identifies the sender in its own transaction and re-reads a text whose
    guess was wrong (``PreReading.fits``), then notes what it found, so a wrong guess lasts one
    message. Forgotten all at once past ``capacity`` senders (strangers can write to an Official
    Account), which costs one read per sender again."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._units: dict[tuple[str, str], str | None] = {}

    def recall(self, channel: str, user_id: str) -> tuple[bool, str | None]:
        """(known, unit): whether this sender was seen, and its unit then."""
        key = (channel, user_id)
        return key in self._units, self._units.get(key)

    def note(self, channel: str, user_id: str, unit: str | None) -> None:
        if len(self._units) >= self.capacity:
            self._units.clear()
        self._units[(channel, user_id)] = unit
