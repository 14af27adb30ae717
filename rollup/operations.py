"""The three operations a session may contain (pure data).

* ``Register(deposit)``: only as a session's first operation, on an empty leaf;
  the user's state becomes UserState.initial(deposit) under the session secret's
  key digest. The deposit is public (it enters the block's public data), so the
  total supply is auditable from block data alone.
* ``Send(recipient, address, amount, nonce)``: debit ``amount``, append
  (recipient, address, amount, outbox_len) to the outbox; ``address`` is the
  recipient's key digest, so only the holder of that key can claim it.
* ``Claim(sender_id, outbox_index, nonce)``: credit the amount of the sender's
  record ``outbox_index`` as finalized under the session's read root (the
  record must name the claimant's id and address), and add
  (sender_id, outbox_index) to the claimed set.

Nonces are per operation: every Send or Claim carries ``nonce = previous + 1``
(registration sets the nonce to 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from verifier.hashing import Digest


@dataclass(frozen=True)
class Register:
    """Enter an empty leaf with a public deposit."""

    deposit: int


@dataclass(frozen=True)
class Send:
    """Debit ``amount`` and append a transfer record for user ``recipient`` at ``address`` (its key digest)."""

    recipient: int
    address: Digest
    amount: int
    nonce: int


@dataclass(frozen=True)
class Claim:
    """Credit the transfer at ``outbox_index`` of ``sender_id``'s finalized outbox."""

    sender_id: int
    outbox_index: int
    nonce: int


Operation = Register | Send | Claim


def describe_operation(op: Operation, name_of: Callable[[int], str]) -> str:
    """One operation in words, with the user names ``name_of`` gives ids: "send 5 to Jack"."""
    if isinstance(op, Register):
        return f"register with {op.deposit}"
    if isinstance(op, Send):
        return f"send {op.amount} to {name_of(op.recipient)}"
    return f"claim transfer #{op.outbox_index} of {name_of(op.sender_id)}"
