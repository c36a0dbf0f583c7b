"""The prefetcher on its own: results in task order, and nothing left running after an error."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads.prefetch import OrderedPrefetcher, Peekable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def _task(value: int, delay: float, started: list[int]) -> Callable[[], int]:
    def run() -> int:
        started.append(value)
        time.sleep(delay)
        return value

    return run


@pytest.mark.parametrize("width", [1, 2, 4])
def test_results_come_in_task_order_whatever_finishes_first(width: int) -> None:
    started: list[int] = []
    delays = [0.05, 0.0, 0.03, 0.0, 0.01, 0.0]
    with ThreadPoolExecutor(4) as executor:
        prefetcher: OrderedPrefetcher[int] = OrderedPrefetcher(executor, width)
        results = list(prefetcher.map(_task(i, d, started) for i, d in enumerate(delays)))
    assert results == list(range(len(delays)))
    assert sorted(started) == list(range(len(delays)))


def test_without_an_executor_tasks_run_one_after_the_other() -> None:
    started: list[int] = []
    prefetcher: OrderedPrefetcher[int] = OrderedPrefetcher(None, 8)
    results = prefetcher.map(_task(i, 0.0, started) for i in range(3))
    assert next(results) == 0
    assert started == [0]  # nothing read ahead
    assert list(results) == [1, 2]


def test_tasks_are_pulled_at_most_width_ahead() -> None:
    pulled: list[int] = []

    def tasks() -> Iterator[Callable[[], int]]:
        for i in range(10):
            pulled.append(i)
            yield lambda i=i: i

    with ThreadPoolExecutor(4) as executor:
        results = OrderedPrefetcher(executor, 3).map(tasks())
        assert next(results) == 0
        assert len(pulled) <= 4  # three in flight, and the one that replaced the first
        results.close()


def test_an_error_reaches_the_consumer_and_cancels_the_tasks_not_started() -> None:
    release = threading.Event()
    started: list[int] = []

    def failing() -> int:
        started.append(0)
        msg = "refused"
        raise RuntimeError(msg)

    def blocked(value: int) -> Callable[[], int]:
        def run() -> int:
            started.append(value)
            release.wait(5)
            return value

        return run

    with ThreadPoolExecutor(1) as executor:
        results = OrderedPrefetcher(executor, 4).map([failing, blocked(1), blocked(2), blocked(3)])
        with pytest.raises(RuntimeError, match="refused"):
            next(results)
        release.set()
    assert started[0] == 0
    assert len(started) <= 2  # the single worker may have begun task 1; 2 and 3 never ran


def test_closing_the_generator_cancels_what_has_not_started() -> None:
    release = threading.Event()
    started: list[int] = []

    def blocked(value: int) -> Callable[[], int]:
        def run() -> int:
            started.append(value)
            release.wait(5)
            return value

        return run

    with ThreadPoolExecutor(1) as executor:
        results = OrderedPrefetcher(executor, 4).map([blocked(i) for i in range(4)])
        release.set()
        assert next(results) == 0
        results.close()
    assert len(started) <= 2


def test_peekable_shows_the_next_item_without_taking_it() -> None:
    items = Peekable(x for x in [1, 2])
    assert items.peek() == 1
    assert items.peek() == 1
    assert items.take() == 1
    assert items.take() == 2
    assert items.peek() is None
