"""TikTok's `page_info` paging rule, in one place for every way the tap reads pages.

Entity streams read pages one after the other through the SDK's paginator; report streams
fetch the pages of a window ahead on the run's threads. Both ask this module which pages
exist, which to read next and whether a page is complete, so the rule cannot drift
between them. Answers carry `data.page_info = {page, page_size, total_number, total_page}`
(Doc 1740302848100353, "Response Parameters"; the entity endpoints answer the same way).
The rows are in `data.list` on most endpoints; `list_key` names another key where an
endpoint differs (`pixel/list/` answers `data.pixels`).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Generator, Iterable, Iterator

    # Runs page fetches and yields their pages in the order given (see prefetch.py).
    Runner = Callable[[Iterable[Callable[[], "Page"]]], Generator["Page", None, None]]

_A = TypeVar("_A")


@dataclass(frozen=True)
class PageInfo:
    """A page's own `page_info`, when all four figures are numbers."""

    page: int
    page_size: int
    total_number: int
    total_page: int

    @classmethod
    def of(cls, data: dict[str, Any]) -> PageInfo | None:
        """The `page_info` of an answer's `data`; None when missing or not numbers."""
        page_info = data.get("page_info")
        if not isinstance(page_info, dict):
            return None
        try:
            return cls(
                int(page_info["page"]),
                int(page_info["page_size"]),
                int(page_info["total_number"]),
                int(page_info["total_page"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def pages_promised(data: dict[str, Any]) -> int:
    """How many pages `page_info` announces.

    The larger of `total_page` and what `total_number` rows take, so that one wrong figure
    cannot end the paging early.
    """
    info = PageInfo.of(data)
    if info is None:
        page_info = data.get("page_info") or {}
        return int(page_info.get("total_page") or 0)
    by_rows = -(-info.total_number // info.page_size) if info.page_size > 0 else 0
    return max(info.total_page, by_rows)


def missing_rows(data: dict[str, Any], list_key: str = "list") -> int:
    """How many rows fewer than `page_info` promises this page holds (0 when complete)."""
    info = PageInfo.of(data)
    if info is None or info.page < 1 or info.page_size < 1:
        return 0
    if info.page < info.total_page:
        expected = info.page_size
    else:
        expected = min(info.page_size, info.total_number - (info.page - 1) * info.page_size)
    return max(0, expected - len(data.get(list_key) or []))


@dataclass(frozen=True)
class Page:
    """One page of a paginated answer: its rows and how many pages and rows it announces."""

    rows: list[dict[str, Any]]
    total_pages: int
    total_rows: int | None = None  # `page_info.total_number`; None when not a number

    @classmethod
    def of(cls, data: dict[str, Any], list_key: str = "list") -> Page:
        """The page in an answer's `data`, its rows in `data.<list_key>`."""
        info = PageInfo.of(data)
        total_rows = info.total_number if info else None
        return cls(list(data.get(list_key) or []), pages_promised(data), total_rows)

    def same_totals(self, other: Page) -> bool:
        """Whether `other` announces the totals this page does; a missing row count agrees.

        Other totals: rows were added or removed between the two answers.
        """
        rows_differ = None not in (self.total_rows, other.total_rows) and (
            self.total_rows != other.total_rows
        )
        return not rows_differ and self.total_pages == other.total_pages


def ask_until_complete(
    ask: Callable[[], _A],
    data_of: Callable[[_A], dict[str, Any]],
    may_ask_again: Callable[[], bool],
    warn: Callable[[int, int, str], None],
    list_key: str = "list",
) -> _A:
    """A page, asked for once more when it lacks rows its own `page_info` promises.

    `may_ask_again` says whether the request's retry budget has room for the second ask,
    which spends the same budget: one page never costs two budgets. A page short again is
    taken as it is, with a warning (`warn(page, rows_missing, outcome)`), so that a page
    TikTok keeps sending short cannot stop or stall the run.
    """
    answer = ask()
    page, missing = _shortfall(data_of(answer), list_key)
    if not missing:
        return answer
    if not may_ask_again():
        warn(page, missing, "no retry budget left, taking its rows")
        return answer
    warn(page, missing, "asking again")
    answer = ask()
    page, missing = _shortfall(data_of(answer), list_key)
    if missing:
        warn(page, missing, "still short after 2 tries, taking its rows")
    return answer


def _shortfall(data: dict[str, Any], list_key: str) -> tuple[int, int]:
    """The page's number and how many rows it lacks."""
    info = PageInfo.of(data)
    return (info.page if info else 0), missing_rows(data, list_key)


class PageWalk:
    """Which pages of one answer to read after page 1, as their `page_info` comes in.

    Page 1's count is the plan. When a later page announces another count (TikTok's totals
    changed while we read), a warning says so and the walk reads up to the largest count
    announced; but a page past page 1's count that comes back empty ends the walk, so a
    count that keeps growing cannot loop. An empty page within the count does not end it.
    """

    def __init__(self, first: Page, where: str, logger: logging.Logger) -> None:
        """Plan from page 1; `where` names the answer in warnings."""
        self._first = first
        self._total = first.total_pages
        self._totals_changed = False
        self._handed_out = 1  # the highest page number handed out to be read
        self._ended = False
        self._where = where
        self._logger = logger

    @property
    def ended(self) -> bool:
        """Whether an empty page past page 1's count ended the walk."""
        return self._ended

    @property
    def totals_changed(self) -> bool:
        """Whether a later page announced other totals (rows or pages) than page 1.

        Rows were added or removed while the pages were read. TikTok pages by offset, so a
        row removed from a page already read moves the next page's first row onto that
        page, where nothing reads it: the walk cannot tell which row it missed.
        """
        return self._totals_changed

    def seen(self, number: int, page: Page) -> None:
        """Take in the answer for page `number`."""
        if not self._first.same_totals(page):
            self._totals_changed = True
        if page.total_pages != self._total:
            self._logger.warning(
                "TikTok's page count for %s changed from %d to %d while paging; reading up "
                "to page %d, and no further than the first empty page past page %d",
                self._where,
                self._total,
                page.total_pages,
                max(self._total, page.total_pages),
                self._first.total_pages,
            )
        self._total = max(self._total, page.total_pages)
        if number > self._first.total_pages and not page.rows:
            self._ended = True

    def take(self, most: int | None = None) -> range:
        """The next page numbers to read (at most `most`); they count as handed out."""
        if self._ended:
            return range(0)
        end = self._total if most is None else min(self._total, self._handed_out + most)
        pages = range(self._handed_out + 1, end + 1)
        self._handed_out = max(self._handed_out, end)
        return pages


def _one_by_one(tasks: Iterable[Callable[[], Page]]) -> Generator[Page, None, None]:
    for task in tasks:
        yield task()


def following_pages(
    walk: PageWalk, fetch: Callable[[int], Page], run: Runner = _one_by_one
) -> Iterator[Page]:
    """Pages 2, 3, ... in order, as `walk` hands them out; `fetch` reads one page.

    `run` fetches the pages known to exist at once (a prefetcher reads them concurrently);
    the ones not needed after the walk ended are cancelled when its generator is closed.
    """
    while pages := walk.take():
        with contextlib.closing(run(functools.partial(fetch, n) for n in pages)) as fetched:
            for number, page in zip(pages, fetched, strict=True):
                walk.seen(number, page)
                yield page
                if walk.ended:
                    return


def all_pages(fetch: Callable[[int], Page], where: str, logger: logging.Logger) -> Iterator[Page]:
    """Every page of one answer, one after the other: page 1, then as the walk decides."""
    first = fetch(1)
    yield first
    yield from following_pages(PageWalk(first, where, logger), fetch)
