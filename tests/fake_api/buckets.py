"""The values of each breakdown dimension and how a requested breakdown maps onto them.

`age` and `gender` share one split (age x gender) so that both, and their combination,
add up to the same daily totals. Every other breakdown has its own split.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

AGES = ("AGE_13_17", "AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100")
GENDERS = ("FEMALE", "MALE", "NONE")

# Bucket values per split. Spellings for platform/ac/placement are unconfirmed (reference 7).
SPLITS: dict[str, tuple[tuple[str, ...], ...]] = {
    "age_gender": tuple(product(AGES, GENDERS)),
    "country_code": tuple((code,) for code in ("BR", "DE", "GB", "JP", "US")),
    "platform": (("ANDROID",), ("IOS",), ("PC",)),
    "province_id": tuple((pid,) for pid in ("2635167", "2921044", "5332921", "6251999")),
    "dma_id": tuple((dma,) for dma in ("501", "602", "803", "807")),
    "language": tuple((lang,) for lang in ("de", "en", "es", "ja", "pt")),
    "placement": (("PLACEMENT_GLOBAL_APP_BUNDLE",), ("PLACEMENT_PANGLE",), ("PLACEMENT_TIKTOK",)),
    "ac": (("3G",), ("4G",), ("5G",), ("WIFI",)),
    "interest_category": tuple((cat,) for cat in ("1010000000", "1020000000", "1030000000")),
}
SPLIT_CODES = {name: code for code, name in enumerate(SPLITS, start=1)}


@dataclass(frozen=True)
class Breakdown:
    """A requested breakdown: which split feeds it and which output bucket each part joins."""

    split: str
    labels: tuple[tuple[str, ...], ...]  # output buckets, sorted, values in requested order
    target: tuple[int, ...]  # split bucket index -> output bucket index


def breakdown_for(dimensions: tuple[str, ...]) -> Breakdown:
    """Map requested breakdown dimensions (already validated) onto a split."""
    if set(dimensions) <= {"age", "gender"}:
        split = "age_gender"
        columns = [0 if name == "age" else 1 for name in dimensions]
    else:
        split = dimensions[0]
        columns = [0]
    parts = [tuple(values[c] for c in columns) for values in SPLITS[split]]
    labels = tuple(sorted(set(parts)))
    position = {label: index for index, label in enumerate(labels)}
    return Breakdown(split, labels, tuple(position[part] for part in parts))
