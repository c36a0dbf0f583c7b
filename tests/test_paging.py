"""The paging rule on its own (`tap_tiktok_ads.paging`), and that no other module has a copy.

Entity streams (the SDK's paginator) and report streams (pages fetched ahead) both ask
`PageWalk` which pages to read and `ask_until_complete` whether to ask for a page again;
the behaviour of each path against the fake is in test_fault_matrix.py.
"""

from __future__ import annotations

import ast
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads.paging import (
    Page,
    PageWalk,
    ask_until_complete,
    following_pages,
    missing_rows,
    pages_promised,
)
from tap_tiktok_ads.prefetch import OrderedPrefetcher

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "tap_tiktok_ads"
LOGGER = logging.getLogger("test-paging")


def answer(page: int, rows: int, *, page_size: int, total_number: int, total_page: int) -> dict:
    """`data` of a TikTok answer with `rows` rows (TikTok's envelope, Doc 1740302848100353)."""
    return {
        "list": [{"n": i} for i in range(rows)],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total_number,
            "total_page": total_page,
        },
    }


def test_the_page_count_is_the_larger_of_total_page_and_what_the_rows_take() -> None:
    assert pages_promised(answer(1, 10, page_size=10, total_number=25, total_page=3)) == 3
    # A total_page too small (TikTok's totals contradict each other): the rows still count.
    assert pages_promised(answer(1, 10, page_size=10, total_number=25, total_page=2)) == 3
    assert pages_promised(answer(1, 10, page_size=10, total_number=25, total_page=5)) == 5
    assert pages_promised(answer(1, 0, page_size=10, total_number=0, total_page=0)) == 0
    assert pages_promised({"list": [], "page_info": {"total_page": 2}}) == 2
    assert pages_promised({"list": []}) == 0


def test_missing_rows_counts_what_the_page_s_own_page_info_promises() -> None:
    assert missing_rows(answer(1, 10, page_size=10, total_number=25, total_page=3)) == 0
    assert missing_rows(answer(2, 7, page_size=10, total_number=25, total_page=3)) == 3
    assert missing_rows(answer(3, 5, page_size=10, total_number=25, total_page=3)) == 0
    assert missing_rows(answer(3, 4, page_size=10, total_number=25, total_page=3)) == 1
    # A page past the last is empty by right; no page_info, nothing to compare with.
    assert missing_rows(answer(4, 0, page_size=10, total_number=25, total_page=3)) == 0
    assert missing_rows({"list": []}) == 0
    assert missing_rows({"list": [], "page_info": {"page": "x"}}) == 0


# --- the page walk ---------------------------------------------------------------------


class ScriptedPages:
    """Pages as TikTok would send them: rows per page number, and the count each announces."""

    def __init__(self, rows: dict[int, int], counts: dict[int, int] | None = None) -> None:
        self.rows = rows
        self.counts = counts or {}
        self.default_count = max(rows)
        self.asked: list[int] = []

    def page(self, number: int) -> Page:
        self.asked.append(number)
        count = self.counts.get(number, self.default_count)
        return Page([{"page": number}] * self.rows.get(number, 0), count)


def walk_all(pages: ScriptedPages, run: RecordingRunner | None = None) -> list[int]:
    """Page numbers read, in order, page 1 included."""
    first = pages.page(1)
    walk = PageWalk(first, "the test answer", LOGGER)
    following = following_pages(walk, pages.page, run) if run else following_pages(walk, pages.page)
    return [1, *(page.rows[0]["page"] for page in following if page.rows)]


def test_every_announced_page_is_read_once_in_order() -> None:
    pages = ScriptedPages({1: 2, 2: 2, 3: 1})
    assert walk_all(pages) == [1, 2, 3]
    assert pages.asked == [1, 2, 3]


def test_a_single_page_answer_reads_nothing_more() -> None:
    pages = ScriptedPages({1: 2})
    assert walk_all(pages) == [1]
    assert pages.asked == [1]
    empty = Page([], 0)
    assert not PageWalk(empty, "empty", LOGGER).take()


def test_a_grown_count_is_followed_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # Page 2 announces 4 pages where page 1 announced 3: pages 3 and 4 are read.
    pages = ScriptedPages({1: 2, 2: 2, 3: 2, 4: 1}, counts={1: 3, 2: 4, 3: 4, 4: 4})
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        assert walk_all(pages) == [1, 2, 3, 4]
    assert pages.asked == [1, 2, 3, 4]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "page count for the test answer changed from 3 to 4" in warning


def test_a_changed_count_of_rows_is_noticed_even_when_the_page_count_stays() -> None:
    # 9 rows then 8 in pages of 3 (a row deleted while paging): 3 pages either way.
    walk = PageWalk(Page([{}] * 3, 3, 9), "the test answer", LOGGER)
    walk.seen(2, Page([{}] * 3, 3, 9))
    assert not walk.totals_changed
    walk.seen(3, Page([{}] * 2, 3, 8))
    assert walk.totals_changed
    grown = PageWalk(Page([{}], 2, 2), "the test answer", LOGGER)
    grown.seen(2, Page([{}], 3, 3))
    assert grown.totals_changed


def test_a_count_that_keeps_growing_ends_at_the_first_empty_page_past_page_1_s_count() -> None:
    # Every page announces one page more than the last; only pages 1-3 hold rows.
    pages = ScriptedPages({1: 1, 2: 1, 3: 1}, counts={n: n + 2 for n in range(1, 50)})
    assert walk_all(pages) == [1, 2, 3]
    assert pages.asked == [1, 2, 3, 4]  # page 4 (past page 1's count of 3) is empty: the end


def test_an_empty_page_within_the_count_does_not_end_the_walk() -> None:
    pages = ScriptedPages({1: 1, 2: 0, 3: 1}, counts={1: 3, 2: 3, 3: 3})
    assert walk_all(pages) == [1, 3]
    assert pages.asked == [1, 2, 3]


def test_take_hands_out_each_page_once_and_at_most_as_many_as_asked() -> None:
    walk = PageWalk(Page([{}], 5), "five pages", LOGGER)
    assert list(walk.take(2)) == [2, 3]
    assert list(walk.take()) == [4, 5]
    assert not walk.take()
    walk.seen(5, Page([{}], 7))  # the count grew: only the new pages are handed out
    assert list(walk.take()) == [6, 7]


class RecordingRunner:
    """Runs each batch on a prefetcher of width 3 and notes the batches it was given."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.prefetcher: OrderedPrefetcher = OrderedPrefetcher(executor, 3)
        self.batches: list[int] = []

    def __call__(self, tasks: Iterable[Callable[[], Page]]) -> Generator[Page, None, None]:
        listed = list(tasks)
        self.batches.append(len(listed))
        return self.prefetcher.map(listed)


def test_pages_fetched_ahead_come_out_in_order_and_the_grown_rest_is_a_second_batch() -> None:
    pages = ScriptedPages(dict.fromkeys(range(1, 8), 1), counts={1: 5, 2: 5, 3: 7})
    with ThreadPoolExecutor(3) as executor:
        runner = RecordingRunner(executor)
        assert walk_all(pages, runner) == [1, 2, 3, 4, 5, 6, 7]
    assert runner.batches == [4, 2]  # pages 2-5 as page 1 announced, then 6-7


def test_fetching_ahead_stops_when_the_walk_ends() -> None:
    # Page 2 announces 9 pages; page 4 (past page 1's count of 3) is empty: 5-9 are not needed.
    pages = ScriptedPages({1: 1, 2: 1, 3: 1}, counts={1: 3, 2: 9})
    with ThreadPoolExecutor(1) as executor:
        runner = RecordingRunner(executor)
        assert walk_all(pages, runner) == [1, 2, 3]
    assert runner.batches == [2, 6]
    assert 9 not in pages.asked  # at most the prefetch width past the empty page 4


# --- a short page ----------------------------------------------------------------------


class ShortPages:
    """Answers for one page: each ask returns the next of `rows` rows out of 10 promised."""

    def __init__(self, *rows: int) -> None:
        self.rows = list(rows)
        self.asks = 0
        self.warnings: list[tuple[int, int, str]] = []

    def ask(self) -> dict:
        self.asks += 1
        return answer(2, self.rows.pop(0), page_size=10, total_number=30, total_page=3)

    def warn(self, page: int, missing: int, outcome: str) -> None:
        self.warnings.append((page, missing, outcome))


def complete(pages: ShortPages, *, budget_left: bool = True) -> dict:
    return ask_until_complete(pages.ask, lambda data: data, lambda: budget_left, pages.warn)


def test_a_complete_page_is_asked_for_once() -> None:
    pages = ShortPages(10)
    assert len(complete(pages)["list"]) == 10
    assert (pages.asks, pages.warnings) == (1, [])


def test_a_short_page_is_asked_for_once_more() -> None:
    pages = ShortPages(7, 10)
    assert len(complete(pages)["list"]) == 10
    assert pages.asks == 2
    assert pages.warnings == [(2, 3, "asking again")]


def test_a_page_short_twice_is_taken_as_it_is() -> None:
    pages = ShortPages(7, 8, 10)
    assert len(complete(pages)["list"]) == 8
    assert pages.asks == 2  # never a third time
    assert pages.warnings[-1] == (2, 2, "still short after 2 tries, taking its rows")


def test_a_short_page_is_not_asked_again_without_budget() -> None:
    pages = ShortPages(7, 10)
    assert len(complete(pages, budget_left=False)["list"]) == 7
    assert pages.asks == 1
    assert pages.warnings == [(2, 3, "no retry budget left, taking its rows")]


# --- one place -------------------------------------------------------------------------

PAGE_INFO_KEYS = {"page_info", "total_page", "total_number"}


def _reads_page_info(node: ast.AST) -> bool:
    """`x["page_info"]` or `x.get("total_page")`: a module that reads the paging figures."""
    if isinstance(node, ast.Subscript):
        key = node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
    ):
        key = node.args[0]
    else:
        return False
    return isinstance(key, ast.Constant) and key.value in PAGE_INFO_KEYS


def test_only_the_paging_module_reads_page_info() -> None:
    readers = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        if any(_reads_page_info(node) for node in ast.walk(tree)):
            readers.add(path.relative_to(PACKAGE_DIR).as_posix())
    assert readers == {"paging.py"}
