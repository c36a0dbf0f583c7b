"""Requests in flight concurrently, results in order.

A sync is bound by TikTok's latency and rate limit, not by CPU. The tap keeps requests in
flight on a thread pool while the SDK writes records in its own single thread, in the same
order a sequential run would, so state and output do not depend on timing.

How many run ahead adapts. Reaching a rate of R requests per second at a latency of L seconds
takes about R x L requests in flight (1 s at TikTok's 10 per second: 10, where a fixed 4 would
cap a run at 4 per second). Read-ahead the consumer does not need, on the other hand, only
holds pages in memory. So while the consumer waits for the next result, one more task goes in
flight every `GROW_SECONDS`, up to the limit the caller gives (rate x observed latency, see
`Runtime.in_flight_target`) and `width`; while finished results wait for the consumer, one
fewer.
"""

from __future__ import annotations

import collections
from concurrent.futures import wait
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")


GROW_SECONDS = 0.05  # while the consumer waits, one more task in flight this often
_START_AHEAD = 2
_WAITING_RESULTS_TO_SHRINK = 2  # finished results waiting for the consumer that shrink the width


class OrderedPrefetcher(Generic[T]):
    """Runs tasks ahead of the consumer, at most `width`, and yields their results in order."""

    def __init__(
        self,
        executor: ThreadPoolExecutor | None,
        width: int,
        limit: Callable[[], int] | None = None,
    ) -> None:
        """With no executor (or width 1) tasks simply run one after the other.

        `limit` tells how many tasks in flight keep the source busy now (read whenever the
        number ahead grows); without it, `width` does.
        """
        self._executor = executor
        self._width = max(width, 1)
        self._limit = limit

    def _bound(self) -> int:
        limit = self._width if self._limit is None else self._limit()
        return max(1, min(self._width, limit))

    def map(self, tasks: Iterable[Callable[[], T]]) -> Generator[T, None, None]:
        """Each task's result, in the order of `tasks`; tasks are pulled lazily.

        Closing the generator cancels the tasks not started yet: close it as soon as its
        results are no longer wanted, not when it is garbage-collected.
        """
        if self._executor is None or self._width == 1:
            for task in tasks:
                yield task()
            return
        executor = self._executor
        pending: collections.deque[Future[T]] = collections.deque()
        iterator = iter(tasks)
        ahead = min(_START_AHEAD, self._bound())  # tasks in flight or not yet taken, at most

        def fill() -> None:
            while len(pending) < ahead and (task := next(iterator, None)) is not None:
                pending.append(executor.submit(task))

        try:
            fill()
            while pending:
                head = pending[0]
                waiting = sum(f.done() for f in pending)
                if ahead > 1 and waiting > _WAITING_RESULTS_TO_SHRINK:
                    ahead -= 1  # results wait for the consumer: fewer pages held
                while not wait((head,), GROW_SECONDS).done:
                    ahead = min(ahead + 1, self._bound())  # the consumer waits: more in flight
                    fill()
                pending.popleft()
                fill()
                yield head.result()
        finally:
            for future in pending:
                future.cancel()


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
