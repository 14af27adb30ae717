"""Reconciling the sessions a crashed ``block build`` submitted with the draft that made them.

``ChainDirectory.build_block`` submits the draft's sessions one transaction at a
time, then finalizes the block. A crash in between leaves submitted sessions
in the database while ``pending.json`` still holds the draft. The next command
that changes the chain reconciles each submitted session with the draft:

* it is the draft's session: kept (the next build does not submit it again);
* the draft has changed since (more operations for that user): dropped with a
  warning; the next build submits what the draft holds;
* it no longer applies to the finalized state (:attr:`Sequencer.stale_pending`):
  dropped with a warning;
* the draft was lost: kept, and a warning says it goes into the next block.

A session its user proved and submitted (``rollup session submit``) is not
the draft's and is left alone, unless it no longer applies.

A command that only reads the chain changes nothing and only warns about stale
sessions. So no crash point leaves a chain that every later build refuses.
"""

from __future__ import annotations

from collections.abc import Callable

from rollup.chain_integrity import PENDING_FILE
from rollup.sequencer import Sequencer
from rollup.session import Session


def reconcile_submitted(sequencer: Sequencer, drafted: list[Session], name_of: Callable[[int], str]) -> list[str]:
    """Drop or keep each submitted session against the ``drafted`` ones (see the module docstring);
    returns the warnings."""
    warnings: list[str] = []
    by_user = {session.user_id: session for session in drafted}
    for user_id, reason in sorted(sequencer.stale_pending.items()):
        sequencer.drop_pending(user_id)
        warnings.append(
            f"dropped the session of {name_of(user_id)} submitted by a block build that did not finish: "
            f"it no longer applies ({reason})"
        )
    for user_id in sequencer.pending_user_ids:
        pending = sequencer.pending_session(user_id)
        if pending is None:  # a session its user proved: not the draft's business
            continue
        if user_id not in by_user:
            warnings.append(
                f"the session of {name_of(user_id)} submitted by a block build that did not finish goes "
                f"into block {sequencer.next_block_number}"
            )
        elif by_user[user_id] != pending:
            sequencer.drop_pending(user_id)
            warnings.append(
                f"dropped the session of {name_of(user_id)} submitted by a block build that did not "
                f"finish: {PENDING_FILE} has changed since, and the next build submits what it holds"
            )
    return warnings


def stale_warnings(sequencer: Sequencer, name_of: Callable[[int], str]) -> list[str]:
    """What a reading command says about stale submitted sessions it leaves in place."""
    return [
        f"ignoring the submitted session of {name_of(user_id)} (it no longer applies: {reason}); "
        "the next command that changes the chain drops it"
        for user_id, reason in sorted(sequencer.stale_pending.items())
    ]
