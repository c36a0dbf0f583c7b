"""What each ad delivered on each local day, computed on demand from the seed.

Every additive metric (counts and money amounts of the reference list) is derived from a parent metric with
a per-ad rate and a per-day jitter, so one hash per ad-day yields all of them. Money is in
cents. Hours and breakdown buckets split a day with cumulative floors, which makes the parts
add up exactly to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tests.fake_api.buckets import SPLIT_CODES, SPLITS
from tests.fake_api.hashing import hash_ints, mix64
from tests.fake_api.metric_rules import REFERENCE_METRICS, value_kind

if TYPE_CHECKING:
    from tests.fake_api.catalog import Entity

# Parent metric and per-ad rate range in parts per million of the parent (spend: cents per
# million impressions, values: cents per million events). Listed parents come first.
_RULES: dict[str, tuple[str, int, int]] = {
    "gross_impressions": ("impressions", 1_000_000, 1_150_000),
    "clicks": ("impressions", 5_000, 30_000),
    "spend": ("impressions", 200_000, 1_500_000),
    "billed_cost": ("spend", 950_000, 1_000_000),
    "cash_spend": ("spend", 600_000, 950_000),
    "voucher_spend": ("spend", 10_000, 300_000),
    "conversion": ("clicks", 20_000, 150_000),
    "real_time_conversion": ("conversion", 850_000, 1_000_000),
    "result": ("clicks", 50_000, 300_000),
    "real_time_result": ("result", 850_000, 1_000_000),
    "secondary_goal_result": ("result", 100_000, 500_000),
    "video_play_actions": ("impressions", 500_000, 900_000),
    "video_watched_2s": ("video_play_actions", 400_000, 800_000),
    "video_watched_6s": ("video_watched_2s", 300_000, 700_000),
    "video_views_p25": ("video_play_actions", 300_000, 600_000),
    "video_views_p50": ("video_views_p25", 500_000, 800_000),
    "video_views_p75": ("video_views_p50", 500_000, 800_000),
    "video_views_p100": ("video_views_p75", 400_000, 800_000),
    "engaged_view": ("video_play_actions", 50_000, 200_000),
    "engaged_view_15s": ("engaged_view", 300_000, 700_000),
    "paid_engaged_view": ("engaged_view", 500_000, 900_000),
    "likes": ("impressions", 5_000, 40_000),
    "comments": ("impressions", 200, 3_000),
    "shares": ("impressions", 200, 3_000),
    "follows": ("impressions", 100, 2_000),
    "profile_visits": ("impressions", 1_000, 10_000),
    "clicks_on_music_disc": ("impressions", 50, 1_000),
    "engagements": ("clicks", 1_000_000, 1_600_000),
    "app_install": ("clicks", 10_000, 100_000),
    "real_time_app_install": ("app_install", 850_000, 1_000_000),
    "purchase": ("clicks", 5_000, 50_000),
    "complete_payment": ("purchase", 600_000, 1_000_000),
    "onsite_shopping": ("clicks", 2_000, 30_000),
    "total_purchase_value": ("complete_payment", 1_000_000_000, 8_000_000_000),
    "total_onsite_shopping_value": ("onsite_shopping", 1_000_000_000, 6_000_000_000),
}
_DEFAULT_RULE = ("clicks", 5_000, 60_000)
_JITTER_SCALE = 1_024_000_000  # rate in ppm times a jitter of 896..1151 / 1024

# A typical day's shape; each hour's weight is this times 1-2, or 0. The largest possible
# total (2 * sum) stays below the smallest daily impressions, so every weighted hour gets
# at least one impression.
_DIURNAL = (2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 10, 11, 11, 10, 10, 11, 12, 14, 16, 16, 14, 10, 5)
_MIN_DAILY_IMPRESSIONS = 500
_WEEKDAY_FACTOR = (1000, 980, 1010, 1040, 1100, 1250, 1200)  # Mon..Sun, per mille


def _ordered_additive() -> list[str]:
    """All count and money metrics of the reference list, each after its parent."""
    names = [name for name in REFERENCE_METRICS if value_kind(name) in {"count", "money"}]
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name != "impressions":
            visit(_RULES.get(name, _DEFAULT_RULE)[0])
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


ADDITIVE: tuple[str, ...] = tuple(_ordered_additive())
_INDEX = {name: index for index, name in enumerate(ADDITIVE)}


@dataclass(frozen=True)
class Plan:
    """Which additive metrics a request needs, parents first; `impressions` is always 0."""

    names: tuple[str, ...]
    # (metric index in ADDITIVE, parent position in names, jitter bit shift), from names[1]
    steps: tuple[tuple[int, int, int], ...]

    def position(self, name: str) -> int:
        """Where a metric sits in the value lists computed for this plan."""
        return self.names.index(name)


def plan_for(names: set[str]) -> Plan:
    """The smallest plan that computes these additive metrics."""
    needed: set[str] = {"impressions"}
    for requested in names:
        name = requested
        while name != "impressions" and name not in needed:
            needed.add(name)
            name = _RULES.get(name, _DEFAULT_RULE)[0]
    ordered = tuple(name for name in ADDITIVE if name in needed)
    steps = tuple(
        (
            _INDEX[name],
            ordered.index(_RULES.get(name, _DEFAULT_RULE)[0]),
            (_INDEX[name] * 7) % 53,
        )
        for name in ordered[1:]
    )
    return Plan(ordered, steps)


class Delivery:
    """Per-ad, per-day values; caches only per-ad constants and small per-day profiles."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rates: dict[int, dict[int, int]] = {}
        self.hour_profile = lru_cache(maxsize=200_000)(self._hour_profile)
        self.split_profile = lru_cache(maxsize=400_000)(self._split_profile)

    def _ad_rates(self, ad: Entity, plan: Plan) -> dict[int, int]:
        """Per-ad rates of the plan's metrics (index 0: impressions), computed once each."""
        rates = self._rates.get(ad.key)
        if rates is None:
            base = hash_ints(self.seed, ad.key)
            rates = {-1: base, 0: 2_000 + base % 38_000}  # typical daily impressions / ~1.05
            self._rates[ad.key] = rates
        for index, _, _ in plan.steps:
            if index not in rates:
                _, low, high = _RULES.get(ADDITIVE[index], _DEFAULT_RULE)
                rates[index] = low + mix64(rates[-1] + index) % (high - low + 1)
        return rates

    def day_values(self, ad: Entity, day: int, plan: Plan) -> list[int]:
        """The full-day values of an ad on a local day (a date ordinal) that it ran."""
        rates = self._ad_rates(ad, plan)
        noise = mix64(ad.key ^ (day * 0x2545F4914F6CDD1D))
        impressions = rates[0] * _WEEKDAY_FACTOR[day % 7] * (768 + (noise & 511)) // 1_024_000
        values = [max(_MIN_DAILY_IMPRESSIONS, impressions)]
        for index, parent, shift in plan.steps:
            jitter = 896 + ((noise >> shift) & 255)
            values.append(values[parent] * rates[index] * jitter // _JITTER_SCALE)
        return values

    def _hour_profile(self, ad_key: int, day: int) -> tuple[int, ...]:
        """Cumulative hour weights (25 entries); a zero-weight hour has no delivery."""
        noise = mix64(ad_key ^ (day * 0x9E3779B97F4A7C15) ^ 0x5EED)
        cumulative = [0]
        for hour, shape in enumerate(_DIURNAL):
            bits = (noise >> (hour * 2)) & 3
            weight = 0 if bits == 0 and hour % 3 else shape * (1 + (bits & 1))
            cumulative.append(cumulative[-1] + weight)
        return tuple(cumulative)

    def _split_profile(self, ad_key: int, day: int, split: str) -> tuple[int, ...]:
        """Cumulative bucket weights of a breakdown split; some buckets get nothing."""
        state = hash_ints(ad_key, day, SPLIT_CODES[split])
        cumulative = [0]
        for index in range(len(SPLITS[split])):
            state = mix64(state + index)
            weight = 0 if index and (state >> 8) % 5 == 0 else 1 + (state & 15)
            cumulative.append(cumulative[-1] + weight)
        return tuple(cumulative)

    @staticmethod
    def reach(impressions: int, row_key: int) -> int:
        """Unique people for one row: a fraction of its impressions, never a sum of parts.

        `row_key` identifies the row (entity, bucket start, end, hour, breakdown value).
        """
        if impressions <= 0:
            return 0
        return max(1, impressions * (450 + mix64(row_key) % 500) // 1000)
