"""A fake TikTok API for Business v1.3 served on 127.0.0.1 for tests and benchmarks."""

from tests.fake_api.data import DataSpec, FakeData
from tests.fake_api.faults import Faults
from tests.fake_api.server import FakeTikTokApi

__all__ = ["DataSpec", "FakeData", "FakeTikTokApi", "Faults"]
