"""Throw-away keys shared by the rollup tests: random per test run, never derived from a name or an id."""

from __future__ import annotations

from rollup.keys import KeyRing
from rollup.seed import SEED_USERS
from rollup.state import Secret

NAMED_KEYS: KeyRing[str] = KeyRing()
"""Keys of users the tests name (the seed users and others)."""
USER_KEYS: KeyRing[int] = KeyRing()
"""Keys of users the tests know by id only (random workloads)."""
SEED_KEYS: dict[str, Secret] = NAMED_KEYS.secrets(list(SEED_USERS))
"""The seed users' keys: name -> secret."""
