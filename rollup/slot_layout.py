"""Slot layouts: which operations a session circuit's slots hold, and the layouts of the block tree.

A session circuit has ``num_slots`` operation slots in order; operation i of a
session (its sends and claims, a registration takes none) goes to slot i. A slot
of kind ``ANY`` holds a send, a claim or nothing, a slot of kind ``SEND`` a send
or nothing. A :class:`SlotLayout` is ``any_slots`` slots of kind ANY followed by
``send_slots`` of kind SEND, so it holds a session of operations o_0 .. o_{n-1} iff

    n <= any_slots + send_slots   and   every claim o_i has i < any_slots.

That one rule decides both which circuit proves a trace (the chooser in
``rollup.session_proving``) and which sessions the chain directory's draft and
the node accept (``rollup.session.session_fits``): a session is accepted exactly
when some layout of :data:`BLOCK_TREE_LAYOUTS` holds it, so an accepted session
is always provable. The table also gives each layout's circuit its number of rows,
2^degree_bits (the one place a block-tree session's degree is decided). The sizes
are in ``rollup.params``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rollup.params import (
    FULL_SESSION_DEGREE_BITS,
    MEDIUM_SEND_SESSION_SLOTS,
    MEDIUM_SESSION_DEGREE_BITS,
    MEDIUM_SESSION_SLOTS,
    MIXED_ANY_SLOTS,
    MIXED_SESSION_SLOTS,
    SEND_SESSION_SLOTS,
    SESSION_SLOTS,
    SMALL_SESSION_DEGREE_BITS,
    SMALL_SESSION_SLOTS,
)


class SlotKind(enum.Enum):
    """What a slot can hold besides nothing: ``ANY`` a send or a claim, ``SEND`` only a send."""

    ANY = "any"
    SEND = "send"


@dataclass(frozen=True)
class SlotLayout:
    """``any_slots`` slots of kind ANY, then ``send_slots`` slots of kind SEND."""

    any_slots: int
    send_slots: int

    @classmethod
    def of_any(cls, num_slots: int) -> SlotLayout:
        """``num_slots`` slots of kind ANY."""
        return cls(num_slots, 0)

    @classmethod
    def of_sends(cls, num_slots: int) -> SlotLayout:
        """``num_slots`` slots of kind SEND."""
        return cls(0, num_slots)

    @property
    def num_slots(self) -> int:
        """Operations the layout holds at most."""
        return self.any_slots + self.send_slots

    @property
    def label(self) -> str:
        """``any``, ``send`` or ``mixed``: the kinds of its slots."""
        if self.send_slots == 0:
            return SlotKind.ANY.value
        return SlotKind.SEND.value if self.any_slots == 0 else "mixed"

    def kinds(self) -> tuple[SlotKind, ...]:
        """The kind of each slot, in slot order."""
        return (SlotKind.ANY,) * self.any_slots + (SlotKind.SEND,) * self.send_slots

    def holds(self, claims: Sequence[bool]) -> bool:
        """Whether a session whose operation i is a claim iff ``claims[i]`` fits: at most ``num_slots``
        operations, and every claim at a position below ``any_slots``."""
        return len(claims) <= self.num_slots and not any(claims[self.any_slots :])


SMALL_SESSION_LAYOUT = SlotLayout.of_any(SMALL_SESSION_SLOTS)
"""The small session (2^SMALL_SESSION_DEGREE_BITS rows)."""
MEDIUM_SEND_SESSION_LAYOUT = SlotLayout.of_sends(MEDIUM_SEND_SESSION_SLOTS)
"""The medium send session (2^MEDIUM_SESSION_DEGREE_BITS rows)."""
MEDIUM_SESSION_LAYOUT = SlotLayout.of_any(MEDIUM_SESSION_SLOTS)
"""The medium session (2^MEDIUM_SESSION_DEGREE_BITS rows): slots of any kind."""
SEND_SESSION_LAYOUT = SlotLayout.of_sends(SEND_SESSION_SLOTS)
"""The full send session (2^FULL_SESSION_DEGREE_BITS rows)."""
MIXED_SESSION_LAYOUT = SlotLayout(MIXED_ANY_SLOTS, MIXED_SESSION_SLOTS - MIXED_ANY_SLOTS)
"""The mixed full session (2^FULL_SESSION_DEGREE_BITS rows): claims among its first MIXED_ANY_SLOTS operations."""
FULL_SESSION_LAYOUT = SlotLayout.of_any(SESSION_SLOTS)
"""The full session (2^FULL_SESSION_DEGREE_BITS rows)."""

BLOCK_TREE_LAYOUTS: Mapping[SlotLayout, int] = {
    SMALL_SESSION_LAYOUT: SMALL_SESSION_DEGREE_BITS,
    MEDIUM_SEND_SESSION_LAYOUT: MEDIUM_SESSION_DEGREE_BITS,
    MEDIUM_SESSION_LAYOUT: MEDIUM_SESSION_DEGREE_BITS,
    SEND_SESSION_LAYOUT: FULL_SESSION_DEGREE_BITS,
    MIXED_SESSION_LAYOUT: FULL_SESSION_DEGREE_BITS,
    FULL_SESSION_LAYOUT: FULL_SESSION_DEGREE_BITS,
}
"""The block tree's session circuits, cheapest first, each layout with the log2 of its circuit's rows: the
small one (2^9), the medium send and medium sessions (2^11, about a quarter of a 2^13 proof; sends only, then
slots of any kind), then the three of 2^13 rows, which cost the same proof. Iterating gives the layouts in that
order."""
