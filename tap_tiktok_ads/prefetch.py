"""Requests in flight concurrently, results in order.

A sync is bound by TikTok's latency and rate limit, not by CPU. The tap keeps requests in
flight on a thread pool while the SDK writes records in its own single thread, in the same
order a sequential run would, so state and output do not depend on timing.

Two limits, kept apart because they answer different questions:

- **In flight** (sent or waiting for the rate limiter, not answered): reaching a rate of R
  requests per second at a latency of L seconds takes about R x L of them (1 s at TikTok's
  10 per second: 10, where a fixed 4 would cap a run at 4 per second). The caller's `limit`
  says how many (see `Runtime.in_flight_target`), within `width`. Every answer starts the
  next task on its worker thread, so a consumer busy writing a page (or the SDK between two
  advertisers) does not let the requests run dry; the tasks themselves are pulled on the
  consumer's thread, up to `width` ahead, since making them reads the stream's state (with
  a budget, only the tasks not started yet count: the started ones are bounded by `limit`
  and the budget, and a slow head, a window whose answer is late, must not stop the reads
  behind it).
- **Held** (answered, not yet taken by the consumer): read-ahead the consumer does not need
  yet only holds pages in memory. With a `HeldBudget` (the values a result holds) the results
  held plus the ones in flight (each counted as the largest result seen so far) stay within
  `budget`; so the pages held stay flat whatever the number of rows. The newest `map` (a
  window's pages, read while the consumer writes that window) counts only its own tasks, the
  older ones (the next windows' first pages) count those of all: so the next windows never
  slow down the pages of the one being written, and all together hold at most about twice
  `budget`. Before the first answer each task in flight counts as the largest page possible,
  against that twice `budget` (`BEFORE_ANSWERS_BUDGETS`).

Each `map` may always keep one task pending, so a result the consumer waits for is never
held back by the others.

A `map` may start before its consumer comes (`start_now`): while the run looks its advertisers
up, the reads that do not depend on the answer are already in flight. Its tasks are pulled
then, up to `width` or to the first `NOT_YET` (a task that cannot be made before the answer),
and a pump thread starts them as the limits allow until the consumer takes over.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")
_R = TypeVar("_R")


# While the consumer waits and no answer arrives, `limit` is read again this often: it grows
# with the age of the oldest request before the first answers (latency.py).
RECHECK_SECONDS = 0.05
# With a budget, the results held and in flight of a `map` stay below this many times `width`
# whatever they weigh: empty pages (a quiet account, a refused advertiser's windows) weigh 0.
HELD_PER_WIDTH = 4
# Before any answer shows how large pages are, each task in flight counts as the largest page
# possible, against this many budgets: the bound all `map`s together keep anyway. With one
# budget, a slow API's first second would run below its rate (TikTok's 10 requests per second
# at 1 s take 10 in flight; one budget lets 9 pages of 44 columns go) on a guess that the first
# answers replace.
BEFORE_ANSWERS_BUDGETS = 2
# What a task source yields when its next task cannot be made yet (it needs what the run is
# still looking up): pulling stops there until the consumer asks for results.
NOT_YET: Any = object()


@dataclass(frozen=True)
class HeldBudget:
    """What results may hold, in values, between the answer and the consumer.

    `weight` tells what one result holds; a task in flight counts as the largest result seen
    so far, or `first_estimate` before any (the largest a page can be).
    """

    values: int
    weight: Callable[[object], int]
    first_estimate: int


class _Run:
    """One `map`: its tasks pulled but not started, and its started ones in order."""

    def __init__(self) -> None:
        self.staged: collections.deque[Callable[[], Any]] = collections.deque()
        self.pending: collections.deque[Future[Any]] = collections.deque()
        # A task failed: its error ends this `map` when the consumer reaches it, so nothing
        # after it starts (after TikTok refused a token, no other request may leave).
        self.failed = False
        self.consumed = False  # the consumer took over from the pump (`start_now`)


class OrderedPrefetcher:
    """Runs tasks ahead of the consumer and yields their results in order."""

    def __init__(
        self,
        executor: ThreadPoolExecutor | None,
        width: int,
        limit: Callable[[], int] | None = None,
        budget: HeldBudget | None = None,
    ) -> None:
        """With no executor (or width 1) tasks simply run one after the other.

        `width` bounds the tasks pulled ahead of one `map` (started or not; with a `budget`,
        those not started yet) and the tasks in flight of all; `limit` tells
        how many in flight keep the source busy now (read each time more could start);
        without it, `width` does. `budget` bounds the values held.
        """
        self._executor = executor
        self._width = max(width, 1)
        self._limit = limit
        self._budget = budget
        self._first_estimate = budget.first_estimate if budget else 0
        self._largest: int | None = None  # the largest result seen
        # Every started task of every `map`: None while in flight, then its result's weight.
        self._tasks: dict[Future[Any], int | None] = {}
        self._runs: list[_Run] = []  # the `map`s going on, the newest (the innermost) last
        self._changed = threading.Condition()
        self._starting = threading.RLock()  # see `_start_staged`

    def _may_start(self, run: _Run) -> bool:
        """Whether one more task of `run` may start now (called with the lock held)."""
        if run.failed:
            return False
        if not run.pending:
            return True
        weights = list(self._tasks.values())
        in_flight = weights.count(None)
        limit = self._width if self._limit is None else self._limit()
        # Before its consumer comes, a `start_now` map leaves one to the consumer's request.
        width = self._width if run.consumed else self._width - 1
        if in_flight >= max(1, min(width, limit)):
            return False
        if self._budget is None:
            return True
        if run is self._runs[-1]:  # the map the consumer reads: its own tasks only
            weights = [self._tasks.get(future) for future in run.pending]
            in_flight = weights.count(None)
        if len(weights) >= HELD_PER_WIDTH * self._width:  # empty pages weigh nothing
            return False
        held = sum(w for w in weights if w is not None)
        if self._largest is None:  # no answer yet: every page is guessed as large as can be
            largest, budgets = self._first_estimate, BEFORE_ANSWERS_BUDGETS
        else:
            largest, budgets = self._largest, 1
        return held + (in_flight + 1) * largest <= budgets * self._budget.values

    def _start_staged(self, executor: ThreadPoolExecutor) -> None:
        """Start what may start, the innermost `map` first: the consumer is reading it.

        One thread starts tasks at a time (`_starting`), one task after the other, so each
        `map`'s tasks start in their order. The pool is asked outside `_changed`: its
        shutdown cancels tasks, whose callbacks take `_changed`, while it holds its own lock.
        Reentrant: a task that ends at once runs its callback here, which starts the next.
        """
        with self._starting:
            while (chosen := self._next_to_start()) is not None:
                run, task = chosen
                future = executor.submit(task)
                with self._changed:
                    live = run in self._runs  # not closed meanwhile
                    if live:
                        self._tasks[future] = None
                        run.pending.append(future)
                if live:
                    future.add_done_callback(functools.partial(self._finished, executor))
                else:
                    future.cancel()

    def _next_to_start(self) -> tuple[_Run, Callable[[], Any]] | None:
        with self._changed:
            for run in reversed(self._runs):
                if run.staged and self._may_start(run):
                    return run, run.staged.popleft()
        return None

    def _finished(self, executor: ThreadPoolExecutor, future: Future[Any]) -> None:
        """A task ended (on its worker thread): note what its result holds, start the next."""
        weight = 0
        failed = not future.cancelled() and future.exception() is not None
        if self._budget is not None and not future.cancelled() and not failed:
            weight = self._budget.weight(future.result())
        with self._changed:
            if future in self._tasks:  # not dropped by a closed `map`
                self._tasks[future] = weight
                if weight:  # an empty page tells nothing of the next ones' size
                    self._largest = max(self._largest or 0, weight)
            if failed:
                for run in self._runs:
                    if future in run.pending:
                        run.failed = True
            self._changed.notify_all()
        if not future.cancelled() and not failed:
            with contextlib.suppress(RuntimeError):  # the pool was shut down: run ending
                self._start_staged(executor)

    def held(self) -> tuple[int, int]:
        """Results held (answered, not yet taken) and the values they hold, in all `map`s."""
        with self._changed:
            weights = [w for w in self._tasks.values() if w is not None]
        return len(weights), sum(weights)

    def map(
        self, tasks: Iterable[Callable[[], _R]], *, start_now: bool = False
    ) -> Generator[_R, None, None]:
        """Each task's result, in the order of `tasks`; tasks are pulled lazily.

        With `start_now`, the first tasks are pulled now and start before the first result
        is asked for (see the module's docstring). Closing the generator cancels the tasks
        not started yet: close it as soon as its results are no longer wanted, not when it
        is garbage-collected.
        """
        if self._executor is None or self._width == 1:
            return (task() for task in tasks if task is not NOT_YET)
        results = self._ahead(self._executor, tasks, start_now=start_now)
        if start_now:
            next(results)  # up to the pump's start: from here `close` cancels the tasks
        return results

    def _pull(self, run: _Run, iterator: Iterator[Callable[[], Any]]) -> bool:
        """Stage tasks up to `width` ahead, or to the end; whether a `NOT_YET` stopped it.

        With a `HeldBudget`, started tasks do not count: `limit` and the budget bound them,
        and a head the consumer waits for (a slow request) must not stop the reads behind it.
        """
        while self._ahead_of_consumer(run) < self._width:
            task = next(iterator, None)
            if task is None or task is NOT_YET:
                return task is NOT_YET
            with self._changed:
                run.staged.append(task)
        return False

    def _ahead_of_consumer(self, run: _Run) -> int:
        """Tasks of `run` that count against `width`: staged, and started unless budgeted."""
        with self._changed:
            if self._budget is not None:
                return len(run.staged)
            return len(run.pending) + len(run.staged)

    def _ahead(
        self, executor: ThreadPoolExecutor, tasks: Iterable[Callable[[], _R]], *, start_now: bool
    ) -> Generator[_R, None, None]:
        """`map` on the pool.

        Tasks are pulled here, on the consumer's thread (they may read the stream's state),
        up to `width` ahead; they start here and, as answers arrive, on the worker threads.
        """
        run = _Run()
        iterator = iter(tasks)
        pump: threading.Thread | None = None
        with self._changed:
            self._runs.append(run)
        try:
            if start_now:
                self._pull(run, iterator)
                pump = threading.Thread(
                    target=self._pump, args=(run, executor), name="prefetch-pump", daemon=True
                )
                pump.start()
                yield None  # type: ignore[misc]  # `map` takes this one: not a result
            with self._changed:
                run.consumed = True
            while True:
                not_yet = self._pull(run, iterator)
                self._start_staged(executor)
                with self._changed:
                    if not run.pending:
                        if not_yet:  # it would wait for itself
                            msg = "a task source yielded NOT_YET to its consumer"
                            raise RuntimeError(msg)
                        return
                    head = run.pending[0]
                    if not head.done():
                        # Woken by every answer; `limit` grows with time before the first.
                        self._changed.wait(RECHECK_SECONDS)
                        continue
                    run.pending.popleft()
                    self._tasks.pop(head, None)
                yield head.result()
        finally:
            with self._changed:
                self._runs.remove(run)
                run.staged.clear()
                for future in run.pending:
                    self._tasks.pop(future, None)
                self._changed.notify_all()  # the pump, if any, ends
            for future in run.pending:  # outside `_changed`: a cancel runs its callback
                future.cancel()
            if pump is not None and pump is not threading.current_thread():
                pump.join()

    def _pump(self, run: _Run, executor: ThreadPoolExecutor) -> None:
        """Start a `start_now` map's staged tasks until its consumer comes.

        What the consumer's wait does (`limit` grows with the age of the oldest request), for
        a consumer that is busy elsewhere: looking up what the later tasks need. The first
        start waits one `RECHECK_SECONDS`, so that the consumer's own request goes first.
        """
        while True:
            with self._changed:
                self._changed.wait(RECHECK_SECONDS)
                # A failed task ends the map (nothing after it starts): the pump too, or it
                # would wake for as long as the process lives if no consumer comes.
                if run.consumed or run.failed or run not in self._runs or not run.staged:
                    return
            try:
                self._start_staged(executor)
            except RuntimeError:  # the pool was shut down: the run is ending
                return


class Peekable(Generic[T]):
    """A generator whose next item can be looked at without taking it."""

    _EMPTY = object()

    def __init__(self, iterator: Generator[T, None, None]) -> None:
        """Wrap a generator."""
        self._iterator = iterator
        self._head: object = self._EMPTY

    def close(self) -> None:
        """Close the generator: a prefetch cancels what it has not started."""
        self._iterator.close()

    def peek(self) -> T | None:
        """The next item, or None at the end; it stays next."""
        if self._head is self._EMPTY:
            self._head = next(self._iterator, None)
        return self._head  # type: ignore[return-value]

    def take(self) -> T | None:
        """The next item, or None at the end."""
        item = self.peek()
        self._head = self._EMPTY
        return item
