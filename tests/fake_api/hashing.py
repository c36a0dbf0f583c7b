"""Fast deterministic integer hashing: every fake value is a pure function of the seed.

Nothing is stored per day; values are recomputed on demand, so the hash has to be cheap.
"""

from __future__ import annotations

import hashlib

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def mix64(value: int) -> int:
    """The splitmix64 finaliser: a well-spread 64-bit hash of one integer."""
    value = (value + _GOLDEN) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def hash_ints(*parts: int) -> int:
    """A 64-bit hash of several integers; order matters."""
    state = 0
    for part in parts:
        state = mix64(state ^ (part & MASK64))
    return state


def text_key(text: str) -> int:
    """A stable 64-bit key for a string (Python's own `hash` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
