"""The garbage collector paused while the tap starts, as its command line runs it.

Starting a sync builds about a million objects that live for the whole run (the catalog the
SDK parses into its own classes, the streams and their schemas), nearly none of them garbage.
Python's collector runs every few hundred allocations and, as the heap grows, walks all of it:
three full passes and 0.17 s of CPU before the first request, for nothing to free (issue 18).
Paused until the sync starts (or until the command ends: `--discover`), it runs as usual
afterwards, and the few cycles made during the start are collected then.

While report pages are written (batched_records.py) collections are made rarer instead
(`fewer_collections`): a page's rows are freed by reference counting once written, so
collecting while they live only traverses (and promotes) them.

At exit the interpreter collects the whole heap again, those million objects included, and
frees them one by one: 0.2-0.4 s between the last answer and the end of the process, for
memory the system takes back at once anyway. `nothing_collected_at_exit` freezes what
lives then, after every exit handler of the run (output flushed, logs closed) has run.
"""

from __future__ import annotations

import atexit
import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Pause:
    """Whether this module paused the collector, so that only it turns it back on."""

    active = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic collection (if on) for the enclosed start; `resume()` may end it early."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    _Pause.active = True
    try:
        yield
    finally:
        resume()


def resume() -> None:
    """Turn automatic collection back on if `collector_paused` turned it off."""
    if _Pause.active:
        _Pause.active = False
        gc.enable()


YOUNG_GENERATION_THRESHOLD = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Garbage collections while pages are written: rarer, and not over what lived before."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_GENERATION_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class _AtExit:
    """Whether `nothing_collected_at_exit` registered its handler in this process."""

    registered = False


def nothing_collected_at_exit() -> None:
    """Skip the interpreter's last collection of what the command leaves alive (once)."""
    if not _AtExit.registered:
        _AtExit.registered = True
        atexit.register(gc.freeze)
