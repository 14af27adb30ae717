"""Secret keys: fresh random secrets from the operating system's CSPRNG, and throw-away key rings.

A secret is ``SECRET_SIZE`` field elements, each drawn uniformly from [0, p)
with :func:`secrets.randbelow` (about 4 * 64 = 256 bits of entropy); a user's
leaf commits to its digest H(secret) (:func:`rollup.state.key_digest`), never
to the secret. Nothing in the product derives a secret from a name or an id:
a user's key lives in its wallet (:mod:`rollup.wallet`), and the demo, the
benchmarks and the tests hold throw-away keys in a :class:`KeyRing`.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Generic, TypeVar

from rollup.params import SECRET_SIZE
from rollup.state import Secret
from verifier.field import P

Holder = TypeVar("Holder", bound=Hashable)


def new_secret() -> Secret:
    """SECRET_SIZE field elements from the operating system's CSPRNG."""
    return tuple(secrets.randbelow(P) for _ in range(SECRET_SIZE))


class KeyRing(Generic[Holder]):
    """Throw-away keys held in memory: each holder (a user id or a name) gets a fresh random secret on first use.

    For delegated proving in demos, benchmarks and tests, where the operator
    plays every user; the keys vanish with the ring.
    """

    def __init__(self) -> None:
        """An empty ring."""
        self._secrets: dict[Holder, Secret] = {}

    def secret(self, holder: Holder) -> Secret:
        """The secret of ``holder`` (created on first use, the same afterwards)."""
        if holder not in self._secrets:
            self._secrets[holder] = new_secret()
        return self._secrets[holder]

    def secrets(self, holders: list[Holder] | None = None) -> dict[Holder, Secret]:
        """holder -> secret for ``holders`` (created as needed), or for every holder used so far."""
        if holders is None:
            return dict(self._secrets)
        return {holder: self.secret(holder) for holder in holders}
