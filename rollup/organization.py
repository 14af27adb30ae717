"""High-volume organizations: one owner secret controlling several accounts.

A session is sequential and belongs to one user, so one account's throughput
is bounded by one session per block. An organization registers k accounts
under the same key digest H(secret); in each block every account runs its own
session, and the k sessions are executed (and later proven) independently, so
the organization's transaction rate scales with k. Payments are spread over
the accounts by :meth:`Organization.plan_payouts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rollup.errors import DuplicateUserError, OverdraftError
from rollup.session import Session, SessionBuilder, claim_sessions
from rollup.state import ChainState, Secret


@dataclass(frozen=True)
class Payment:
    """Send ``amount`` to ``recipient``."""

    recipient: int
    amount: int


@dataclass(frozen=True)
class Organization:
    """An owner ``secret`` and the user ids of the accounts it controls."""

    secret: Secret
    account_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        """Reject an account listed twice (it would need two sessions in one block)."""
        if len(set(self.account_ids)) != len(self.account_ids):
            raise DuplicateUserError(f"organization accounts {self.account_ids} list an account twice")

    def registration_sessions(self, state: ChainState, deposits: Sequence[int]) -> list[Session]:
        """One registration session per account, account i depositing ``deposits[i]``."""
        if len(deposits) != len(self.account_ids):
            raise ValueError(f"{len(deposits)} deposits for {len(self.account_ids)} accounts")
        return [
            SessionBuilder(state, account, self.secret).register(deposit).build()
            for account, deposit in zip(self.account_ids, deposits, strict=True)
        ]

    def total_balance(self, state: ChainState) -> int:
        """Sum of the accounts' balances."""
        return sum(state.tree(account).balance for account in self.account_ids)

    def plan_payouts(self, state: ChainState, payments: Sequence[Payment]) -> dict[int, list[Payment]]:
        """Assign each payment, in order, to the account that can afford it and has the fewest payments so far.

        Balancing the number of operations balances session proving times. The
        greedy plan raises OverdraftError when no account can cover a payment
        (even if another assignment might have succeeded).
        """
        remaining = {account: state.tree(account).balance for account in self.account_ids}
        plan: dict[int, list[Payment]] = {account: [] for account in self.account_ids}
        for position, payment in enumerate(payments):
            candidates = [account for account in self.account_ids if remaining[account] >= payment.amount]
            if not candidates:
                raise OverdraftError(
                    f"payment {position} of {payment.amount} exceeds every account's remaining balance "
                    f"(largest {max(remaining.values())})"
                )
            account = min(candidates, key=lambda a: len(plan[a]))
            plan[account].append(payment)
            remaining[account] -= payment.amount
        return {account: assigned for account, assigned in plan.items() if assigned}

    def payout_sessions(self, state: ChainState, payments: Sequence[Payment]) -> list[Session]:
        """One session per account that received payments under :meth:`plan_payouts`."""
        sessions = []
        for account, assigned in self.plan_payouts(state, payments).items():
            builder = SessionBuilder(state, account, self.secret)
            for payment in assigned:
                builder.send(payment.recipient, payment.amount)
            sessions.append(builder.build())
        return sessions

    def claim_sessions(self, state: ChainState) -> list[Session]:
        """One session per account that has unclaimed incoming transfers, claiming all of them."""
        return claim_sessions(state, dict.fromkeys(self.account_ids, self.secret))
