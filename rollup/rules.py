"""The scalar rules of the state model, shared by execution and trace verification.

Each rule is a small check on integers that the session circuit will enforce
with the same arithmetic (range checks by bit decomposition, equalities):

* ids:      0 <= id < 2^GLOBAL_TREE_DEPTH, outbox indices 0 <= j < 2^OUTBOX_DEPTH
            (both bound claim_key(s, j) = s * 2^OUTBOX_DEPTH + j, which must not wrap)
* amounts:  0 <= a < 2^MAX_AMOUNT_BITS (deposits and balances too)
* nonces:   nonce' = nonce + 1 for every operation after registration
* debit:    b' = b - a with b' >= 0           (no overdraft)
* credit:   b' = b + a with b' < 2^MAX_AMOUNT_BITS
* claims:   the record's recipient equals the claimant's id
* secrets:  SECRET_SIZE canonical field elements
"""

from __future__ import annotations

from collections.abc import Sequence

from rollup.errors import MalformedSessionError, NonceError, NotRecipientError, OutOfRangeError, OverdraftError
from rollup.params import AMOUNT_LIMIT, MAX_AMOUNT_BITS, MAX_USERS, OUTBOX_CAPACITY, SECRET_SIZE
from verifier.field import P
from verifier.hashing import Digest


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def require_user_id(value: int, role: str) -> None:
    """0 <= value < 2^GLOBAL_TREE_DEPTH, else OutOfRangeError naming ``role``."""
    if not _is_int(value) or not 0 <= value < MAX_USERS:
        raise OutOfRangeError(f"{role} id {value!r} outside [0, {MAX_USERS})")


def require_outbox_index(value: int) -> None:
    """0 <= value < 2^OUTBOX_DEPTH, else OutOfRangeError."""
    if not _is_int(value) or not 0 <= value < OUTBOX_CAPACITY:
        raise OutOfRangeError(f"outbox index {value!r} outside [0, {OUTBOX_CAPACITY})")


def require_amount(value: int, role: str) -> None:
    """0 <= value < 2^MAX_AMOUNT_BITS, else OutOfRangeError naming ``role``."""
    if not _is_int(value) or not 0 <= value < AMOUNT_LIMIT:
        raise OutOfRangeError(f"{role} {value!r} outside [0, 2^{MAX_AMOUNT_BITS})")


def require_next_nonce(current: int, given: int) -> None:
    """given == current + 1, so nonces strictly increase by exactly one per operation."""
    if given != current + 1:
        raise NonceError(f"nonce {given} rejected: the user's nonce is {current}, so the next must be {current + 1}")


def debit(balance: int, amount: int) -> int:
    """balance - amount, or OverdraftError when it would be negative."""
    require_amount(amount, "amount")
    if amount > balance:
        raise OverdraftError(f"cannot send {amount}: the balance is only {balance}")
    return balance - amount


def credit(balance: int, amount: int) -> int:
    """balance + amount, or OutOfRangeError when it reaches 2^MAX_AMOUNT_BITS."""
    require_amount(amount, "amount")
    result = balance + amount
    require_amount(result, "balance after credit")
    return result


def require_recipient(recipient: int, address: Digest, claimant: int, claimant_key: Digest) -> None:
    """The record names the claimant: its id and its address (key digest), else NotRecipientError."""
    if recipient != claimant:
        raise NotRecipientError(f"user {claimant} cannot claim a transfer addressed to user {recipient}")
    if address != claimant_key:
        raise NotRecipientError(
            f"the transfer is addressed to user {recipient} holding another key: user {claimant}'s key cannot claim it"
        )


def require_secret(secret: Sequence[int]) -> None:
    """SECRET_SIZE canonical field elements, else MalformedSessionError."""
    if len(secret) != SECRET_SIZE or not all(_is_int(x) and 0 <= x < P for x in secret):
        raise MalformedSessionError(f"a secret key is {SECRET_SIZE} canonical field elements")
