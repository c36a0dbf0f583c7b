"""Scale-out: split the advertisers between n runs of the tap, each with its own state.

A run configured with `advertiser_shard: "i/n"` syncs only the advertisers whose stable hash
falls into shard i. The hash depends on the advertiser ID alone, so every run (on any machine,
in any Python) puts an advertiser into the same shard, and the n shards together cover every
advertiser exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from typing_extensions import override

_SHARD_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
SHARD_HELP = 'a string "i/n" with 1 <= i <= n, e.g. "2/4" for the second of four shards'


class ShardSettingError(ValueError):
    """`advertiser_shard` is not of the form i/n with 1 <= i <= n."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def owns(self, advertiser_id: str) -> bool:
        """Whether this shard syncs the advertiser (SHA-256 of the ID, modulo the count)."""
        digest = hashlib.sha256(advertiser_id.encode()).hexdigest()
        return int(digest, 16) % self.count == self.index - 1

    @override
    def __str__(self) -> str:
        """The setting's own form, `i/n`."""
        return f"{self.index}/{self.count}"


def parse_shard(value: str) -> Shard:
    """Read an `advertiser_shard` value such as `"2/4"`."""
    match = _SHARD_FORMAT.match(value)
    if match is None:
        raise ShardSettingError(f"'{value}' is not of the form i/n; use {SHARD_HELP}")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ShardSettingError(f"'{value}' needs 1 <= i <= n; use {SHARD_HELP}")
    return Shard(index, count)
