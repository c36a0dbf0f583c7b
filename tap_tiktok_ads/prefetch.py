"""Requests in flight concurrently, results in order.

A sync is bound by TikTok's latency and rate limit, not by CPU. The tap keeps a few requests
in flight on a thread pool while the SDK writes records in its own single thread, in the same
order a sequential run would, so state and output do not depend on timing.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")


class OrderedPrefetcher(Generic[T]):
    """Runs tasks at most `width` ahead of the consumer and yields their results in order."""

    def __init__(self, executor: ThreadPoolExecutor | None, width: int) -> None:
        """With no executor (or width 1) tasks simply run one after the other."""
        self._executor = executor
        self._width = max(width, 1)

    def map(self, tasks: Iterable[Callable[[], T]]) -> Generator[T, None, None]:
        """Each task's result, in the order of `tasks`; tasks are pulled lazily.

        Closing the generator cancels the tasks not started yet: close it as soon as its
        results are no longer wanted, not when it is garbage-collected.
        """
        if self._executor is None or self._width == 1:
            for task in tasks:
                yield task()
            return
        pending: collections.deque[Future[T]] = collections.deque()
        iterator = iter(tasks)
        try:
            for task in iterator:
                pending.append(self._executor.submit(task))
                if len(pending) >= self._width:
                    break
            while pending:
                result = pending.popleft().result()
                following = next(iterator, None)
                if following is not None:
                    pending.append(self._executor.submit(following))
                yield result
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
