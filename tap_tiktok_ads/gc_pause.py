"""The garbage collector paused while the tap starts, as its command line runs it.

Starting a sync builds about a million objects that live for the whole run (the catalog the
SDK parses into its own classes, the streams and their schemas), nearly none of them garbage.
Python's collector runs every few hundred allocations and, as the heap grows, walks all of it:
three full passes and 0.17 s of CPU before the first request, for nothing to free (issue 18).
Importing the tap (the SDK, the metric registry, the stream classes) is the same story, 0.08 s
of its 0.45 s: the command (`command.py`) pauses the collector before it imports the tap.
Paused until the sync starts (or until the command ends: `--discover`), it runs as usual
afterwards; what lives then is frozen first (`gc.freeze`), else its first pass would walk the
whole heap again (0.03-0.09 s, right before the first request). The few cycles made during
the start are left to the end of the process, or to the end of a report stream's page loop,
which unfreezes. Only a process the command owns (`own_process`: the `tap-tiktok-ads`
command, `python -m tap_tiktok_ads`, `tap.main`) freezes: a tap built or run in another
program's process (`TapTikTokAds(...)`, `TapTikTokAds.cli(...)` called by tests or an
orchestrator) never freezes that program's heap, so its garbage and each run's objects are
collected as usual.

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
    owns_process = False  # `own_process`: freezing the heap is ours to do


def own_process() -> None:
    """Mark the process as the command's: its start may freeze the heap, its exit skip a pass.

    The pass is the interpreter's last collection (`nothing_collected_at_exit`).
    """
    _Pause.owns_process = True
    nothing_collected_at_exit()


def pause() -> None:
    """Pause automatic collection until `resume`, unless the caller turned it off already."""
    if gc.isenabled():
        gc.disable()
        _Pause.active = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic collection (if on) for the enclosed start; `resume()` may end it early."""
    pause()
    try:
        yield
    finally:
        resume()


def resume() -> None:
    """Turn automatic collection back on if `pause` turned it off.

    In a process the command owns, what lives now is frozen first (see the module's
    docstring); in another program's process, nothing is.
    """
    if _Pause.active:
        _Pause.active = False
        if _Pause.owns_process:
            gc.freeze()
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
