"""The prefetcher on its own: results in task order, and nothing left running after an error."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads.latency import LatencyGauge
from tap_tiktok_ads.prefetch import (
    HELD_PER_WIDTH,
    NOT_YET,
    HeldBudget,
    OrderedPrefetcher,
    Peekable,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def _task(value: int, delay: float, started: list[int]) -> Callable[[], int]:
    def run() -> int:
        started.append(value)
        time.sleep(delay)
        return value

    return run


def _blocked(value: int, started: list[int], release: threading.Event) -> Callable[[], int]:
    """A task that says it started, then holds its answer until `release` is set."""

    def run() -> int:
        started.append(value)
        release.wait(5)
        return value

    return run


@pytest.mark.parametrize("width", [1, 2, 4])
def test_results_come_in_task_order_whatever_finishes_first(width: int) -> None:
    started: list[int] = []
    delays = [0.05, 0.0, 0.03, 0.0, 0.01, 0.0]
    with ThreadPoolExecutor(4) as executor:
        prefetcher: OrderedPrefetcher = OrderedPrefetcher(executor, width)
        results = list(prefetcher.map(_task(i, d, started) for i, d in enumerate(delays)))
    assert results == list(range(len(delays)))
    assert sorted(started) == list(range(len(delays)))


def test_without_an_executor_tasks_run_one_after_the_other() -> None:
    started: list[int] = []
    prefetcher: OrderedPrefetcher = OrderedPrefetcher(None, 8)
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

    with ThreadPoolExecutor(1) as executor:
        results = OrderedPrefetcher(executor, 4).map(
            [failing, *(_blocked(i, started, release) for i in (1, 2, 3))]
        )
        with pytest.raises(RuntimeError, match="refused"):
            next(results)
        release.set()
    assert started[0] == 0
    assert len(started) <= 2  # the single worker may have begun task 1; 2 and 3 never ran


def test_closing_the_generator_cancels_what_has_not_started() -> None:
    release = threading.Event()
    started: list[int] = []

    with ThreadPoolExecutor(1) as executor:
        results = OrderedPrefetcher(executor, 4).map(
            [_blocked(i, started, release) for i in range(4)]
        )
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


def test_while_the_consumer_waits_read_ahead_grows_to_the_limit() -> None:
    """Slow tasks: as many run at once as the limit (rate x latency) says, within the width."""
    running, peak = 0, 0
    lock = threading.Lock()

    def slow(value: int) -> Callable[[], int]:
        def run() -> int:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.3)
            with lock:
                running -= 1
            return value

        return run

    with ThreadPoolExecutor(16) as executor:
        prefetcher: OrderedPrefetcher = OrderedPrefetcher(executor, 16, lambda: 6)
        assert list(prefetcher.map(slow(i) for i in range(24))) == list(range(24))
    assert peak == 6


def _instant(value: int, started: list[int]) -> Callable[[], int]:
    def run() -> int:
        started.append(value)
        return value

    return run


def test_results_held_for_a_slow_consumer_stay_within_the_budget() -> None:
    """Fast tasks, a slow consumer: the pages held ahead of it are bounded, not the rows.

    Each result holds 10 values and the budget is 35: besides the result the consumer holds,
    at most three tasks are ever started and not yet taken, however the threads interleave.
    """
    started: list[int] = []
    budget = HeldBudget(35, lambda _: 10, first_estimate=10)
    with ThreadPoolExecutor(16) as executor:
        prefetcher = OrderedPrefetcher(executor, 16, lambda: 16, budget)
        ahead, held = [], []
        for value in prefetcher.map(_instant(i, started) for i in range(60)):
            ahead.append(len(started) - value - 1)
            held.append(prefetcher.held()[1])
            time.sleep(0.002)
    assert value == 59
    assert max(ahead) <= 3
    assert max(held) <= 35


@contextlib.contextmanager
def _behind_a_held_head(prefetcher: OrderedPrefetcher, count: int) -> Iterator[list[int]]:
    """A consumer reads `count` tasks whose first holds its answer until the block ends;
    yields the tasks started so far, then checks every result came in order."""
    started: list[int] = []
    release = threading.Event()
    tasks = [_blocked(0, started, release), *(_instant(i, started) for i in range(1, count))]
    outcome: list[int] = []
    consumer = threading.Thread(target=lambda: outcome.extend(prefetcher.map(iter(tasks))))
    consumer.start()
    try:
        yield started
    finally:
        release.set()
        consumer.join(5)
    assert outcome == list(range(count))


def test_a_slow_head_does_not_stop_the_reads_behind_it_within_the_budget() -> None:
    """The consumer waits for a slow first task; the answered ones behind it do not use up the
    width (the budget bounds what they hold), so the next tasks keep starting: at TikTok's
    latency a head that takes two requests must not drain the requests in flight."""
    budget = HeldBudget(1000, lambda _: 10, first_estimate=10)
    with ThreadPoolExecutor(4) as executor:
        prefetcher = OrderedPrefetcher(executor, 3, lambda: 3, budget)
        with _behind_a_held_head(prefetcher, 12) as started:
            # Eleven of the twelve start while the head holds (width 3 would stop at 3); it
            # holds for 5 s, so only reads that do not wait for it are seen within 4 s (a
            # fraction of a second when the machine is idle).
            assert _until(lambda: len(started) == 12, seconds=4)


def test_results_that_weigh_nothing_are_still_bounded_in_number() -> None:
    """Empty pages weigh 0 values: behind a slow head, the reads still stop at a few times
    the width, not at the end of the stream (a refused advertiser's windows, say)."""
    budget = HeldBudget(1000, lambda _: 0, first_estimate=10)
    with ThreadPoolExecutor(4) as executor:
        prefetcher = OrderedPrefetcher(executor, 2, lambda: 2, budget)
        with _behind_a_held_head(prefetcher, 60) as started:
            assert _until(lambda: len(started) >= HELD_PER_WIDTH * 2, seconds=4)  # head: 5 s
            time.sleep(0.2)
            assert len(started) == HELD_PER_WIDTH * 2


def test_without_a_budget_answered_results_still_count_against_the_width() -> None:
    """Without a budget nothing else bounds what answered results hold: the width does."""
    executor = ThreadPoolExecutor(4)
    with executor, _behind_a_held_head(OrderedPrefetcher(executor, 3), 12) as started:
        assert _until(lambda: len(started) >= 3)
        time.sleep(0.2)
        assert len(started) == 3


def test_the_pages_of_the_window_written_are_read_ahead_whatever_the_next_windows_hold() -> None:
    """A report's windows (outer) and the pages of the window being written (inner).

    The next windows' first pages may fill the budget (30: three results of 10); the pages
    of the current window still get three in flight (they end only when three run at once),
    and all together never hold more than twice the budget.
    """
    started: list[int] = []
    budget = HeldBudget(30, lambda _: 10, first_estimate=10)
    held: list[int] = []

    def page(value: int, together: threading.Barrier) -> Callable[[], int]:
        def run() -> int:
            started.append(value)
            if value % 1000 < 3:
                together.wait()
            return value

        return run

    with ThreadPoolExecutor(16) as executor:
        prefetcher = OrderedPrefetcher(executor, 16, lambda: 16, budget)
        for window in prefetcher.map(_instant(i, started) for i in range(5)):
            time.sleep(0.05)  # the next windows are answered meanwhile
            together = threading.Barrier(3, timeout=5)
            pages = (page(1000 * (window + 1) + i, together) for i in range(6))
            held.extend(prefetcher.held()[1] for _ in prefetcher.map(pages))
    assert len(started) == 35
    assert max(held) <= 60


def test_a_large_first_estimate_starts_two_tasks_until_a_result_shows_its_size() -> None:
    """Before any answer a page is guessed as large as it can be, against twice the budget
    (the bound all maps keep together): with pages as large as the budget, two start."""
    gate = threading.Event()
    together = threading.Barrier(4, timeout=5)  # tasks 1-4 end only when all four run
    started: list[int] = []

    def task(value: int) -> Callable[[], int]:
        def run() -> int:
            started.append(value)
            if value == 0:
                gate.wait(5)
            elif value <= 4:
                together.wait()
            return value

        return run

    budget = HeldBudget(100, lambda _: 1, first_estimate=100)
    with ThreadPoolExecutor(8) as executor:
        results = OrderedPrefetcher(executor, 8, lambda: 8, budget).map(task(i) for i in range(20))
        first = executor.submit(next, results)
        # Waited for, then 0.2 s for a third to start: a loaded machine may take longer than
        # that to start the second at all.
        assert _until(lambda: len(started) >= 2)
        time.sleep(0.2)
        assert sorted(started) == [0, 1]  # a page might be as large as the whole budget
        gate.set()
        assert first.result(5) == 0
        # Results hold 1 value each: now many run at once (the barrier needs four).
        assert list(results) == list(range(1, 20))


def test_before_any_answer_the_guess_may_fill_twice_the_budget() -> None:
    """A slow API's first second: pages guessed at a quarter of the budget each, and eight in
    flight wanted (10 per second at 1 s). One budget would let four go; two let eight."""
    release = threading.Event()
    started: list[int] = []

    def task(value: int) -> Callable[[], int]:
        def run() -> int:
            started.append(value)
            release.wait(5)
            return value

        return run

    budget = HeldBudget(100, lambda _: 1, first_estimate=25)
    with ThreadPoolExecutor(16) as executor:
        results = OrderedPrefetcher(executor, 16, lambda: 8, budget).map(task(i) for i in range(20))
        first = executor.submit(next, results)
        try:
            assert _until(lambda: len(started) == 8, seconds=4)  # each holds up to 5 s
            time.sleep(0.1)
            assert len(started) == 8  # the in-flight target, not more
        finally:
            release.set()
        assert first.result(5) == 0
        assert list(results) == list(range(1, 20))


def test_answers_start_the_next_tasks_while_the_consumer_is_busy() -> None:
    """A consumer writing a large page does not let the requests in flight run dry."""
    releases = [threading.Event() for _ in range(8)]
    started = [threading.Event() for _ in range(8)]

    def task(value: int) -> Callable[[], int]:
        def run() -> int:
            started[value].set()
            releases[value].wait(5)
            return value

        return run

    with ThreadPoolExecutor(8) as executor:
        results = OrderedPrefetcher(executor, 8, lambda: 3).map(task(i) for i in range(8))
        releases[0].set()
        assert next(results) == 0
        # The consumer is away, writing result 0. Tasks 1-3 are in flight (the limit is 3).
        assert started[3].wait(5)
        assert not started[4].is_set()
        releases[1].set()  # an answer arrives: task 4 starts, with nobody in `map`
        assert started[4].wait(5)
        assert not started[5].is_set()
        for release in releases:
            release.set()
        assert list(results) == list(range(1, 8))


def test_latency_is_the_average_answer_time_or_the_oldest_wait_if_longer() -> None:
    now = [100.0]
    gauge = LatencyGauge(clock=lambda: now[0])
    assert gauge.seconds() == 0.0
    first = gauge.started()
    now[0] += 0.4
    assert gauge.seconds() == pytest.approx(0.4)  # no answer yet: the wait so far
    gauge.finished(first)
    assert gauge.seconds() == pytest.approx(0.4)
    second = gauge.started()
    now[0] += 0.9
    assert gauge.seconds() == pytest.approx(0.9)  # still waiting, longer than the average
    gauge.finished(second)
    assert gauge.seconds() == pytest.approx(0.4 + 0.2 * (0.9 - 0.4))


def test_shutting_the_pool_down_while_answers_start_more_tasks_does_not_hang() -> None:
    """A fatal error shuts the pool down (cancelling what waits) while answers start more.

    The pool's shutdown holds its lock while cancelled tasks run their callbacks; a worker
    that started the next task while holding the prefetcher's lock waited for the pool's:
    a deadlock, met within a few dozen tries before it was fixed.
    """
    for _ in range(100):
        executor = ThreadPoolExecutor(4)
        results = OrderedPrefetcher(executor, 16, lambda: 4).map(
            _instant(i, []) for i in range(100_000)
        )
        next(results)
        stopper = threading.Thread(
            target=executor.shutdown, kwargs={"wait": True, "cancel_futures": True}
        )
        stopper.start()
        stopper.join(5)
        assert not stopper.is_alive()
        results.close()


def test_nothing_starts_after_a_task_failed() -> None:
    """After a refusal (a failed task) no further request may leave, even while the
    consumer still waits for an earlier, slower answer."""
    started: list[int] = []
    head_may_end = threading.Event()

    def refused() -> int:
        started.append(1)
        raise RuntimeError("TikTok error 40105")

    slow_head = _blocked(0, started, head_may_end)
    tasks = [slow_head, refused, *(_task(i, 0.0, started) for i in (2, 3))]
    with ThreadPoolExecutor(4) as executor:
        results = OrderedPrefetcher(executor, 4, limit=lambda: 2).map(iter(tasks))
        consumer = threading.Thread(target=lambda: next(results))
        consumer.start()
        # The refusal must be in before the head ends (else the head's end may start task 2,
        # rightly): waited for, then time enough for its end to start others.
        assert _until(lambda: 1 in started)
        time.sleep(0.3)
        head_may_end.set()
        consumer.join(5)
        with pytest.raises(RuntimeError, match="40105"):
            next(results)
    assert sorted(started) == [0, 1]


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_map_started_now_reads_before_its_consumer_comes_up_to_not_yet() -> None:
    """While the run looks its advertisers up, the reads that need no answer are in flight."""
    started: list[int] = []
    answered = threading.Event()  # the lookup the later tasks need

    def tasks() -> Iterator[Callable[[], int]]:
        yield from (_task(i, 0.0, started) for i in range(3))
        while not answered.is_set():
            yield NOT_YET
        yield from (_task(i, 0.0, started) for i in range(3, 6))

    with ThreadPoolExecutor(4) as executor:
        results = OrderedPrefetcher(executor, 8).map(tasks(), start_now=True)
        assert _until(lambda: len(started) == 3)  # nobody asked for a result yet
        time.sleep(0.2)
        assert sorted(started) == [0, 1, 2]  # nothing past NOT_YET
        answered.set()
        assert list(results) == list(range(6))


def test_before_its_consumer_comes_a_map_leaves_it_one_request_of_the_width() -> None:
    """`max_concurrency` holds with the consumer's own request (the lookup) in flight."""
    started: list[int] = []
    release = threading.Event()

    with ThreadPoolExecutor(4) as executor:
        results = OrderedPrefetcher(executor, 3).map(
            (_blocked(i, started, release) for i in range(6)), start_now=True
        )
        assert _until(lambda: len(started) == 2)
        time.sleep(0.2)
        assert len(started) == 2
        release.set()
        assert list(results) == list(range(6))  # then the consumer's width is the whole 3


def test_a_map_started_now_and_closed_before_its_consumer_came_starts_nothing_more() -> None:
    """A failed lookup ends the reads started for it: the run is over."""
    started: list[int] = []
    release = threading.Event()

    threads_before = set(threading.enumerate())
    with ThreadPoolExecutor(4) as executor:
        results = OrderedPrefetcher(executor, 4, lambda: 1).map(
            (_blocked(i, started, release) for i in range(6)), start_now=True
        )
        assert _until(lambda: len(started) == 1)
        results.close()
        release.set()
        time.sleep(0.2)
    assert started == [0]
    assert not [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]


def test_a_started_map_whose_task_failed_ends_its_pump_without_a_consumer() -> None:
    """The run ends before the consumer comes (the advertiser lookup failed): no thread of
    the map is left waking for the rest of the process."""

    def refused() -> int:
        msg = "token refused"
        raise RuntimeError(msg)

    with ThreadPoolExecutor(4) as executor:
        prefetcher = OrderedPrefetcher(executor, 2)
        results = prefetcher.map([refused, lambda: 1, lambda: 2], start_now=True)

        def pumps_alive() -> list[threading.Thread]:
            return [t for t in threading.enumerate() if t.name == "prefetch-pump" and t.is_alive()]

        # The first task failed, the consumer has not come: the pump ends on its own (waited
        # for up to 5 s; it ends within milliseconds unless the machine is loaded).
        assert _until(lambda: not pumps_alive())
        results.close()
