"""Refresh tokens TikTok rotated, kept between runs in a file (`refresh_token_store_path`).

TikTok may answer a refresh with a new refresh token, and need not accept the old one again
(reference 4.1: "store the new refresh_token from each response"). The config cannot keep
it: Meltano hands the tap a temporary copy of it, and Singer state is sent downstream and
logged. So, when the setting names a file, the tap keeps each account's newest refresh token
there, read when a sync starts and written whole to a temporary file that replaces the old one
(mode 0600: it holds secrets), so that a crash never leaves half a file.

An entry is keyed by the account's business_id and a SHA-256 hash of the refresh token
configured for it: once the user configures another one (the account was re-authorised),
the stored token no longer applies and the configured one is used.

Runs that overlap (an hourly run and a backfill, two shards) share the file. A run writes it
holding an exclusive `flock` on `<store>.lock` beside it, so that two runs writing at once
cannot lose each other's entries; that needs `fcntl` (Linux, macOS): elsewhere the tap writes
without the lock. A run whose refresh TikTok refuses reads the file again (`newer`): another
run may have rotated the token it read at its start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.dates import utc_now
from tap_tiktok_ads.inputs import InputFileError

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterator

STORE_SETTING = "refresh_token_store_path"
_ABOUT = (
    "Refresh tokens of TikTok accounts that TikTok rotated, kept by tap-tiktok-ads "
    f"(`{STORE_SETTING}`). Secret: do not share or commit this file."
)


class TokenStoreError(InputFileError):
    """The store cannot be read: the run stops before any request (see `RefreshTokenStore`)."""


def configured_key(refresh_token: str) -> str:
    """The hash that ties a stored token to the configured token it replaced."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class RefreshTokenStore:
    """The JSON file of rotated refresh tokens: `{"accounts": {business_id: entry}}`.

    A store that exists but cannot be read fails the run before any request, rather than
    falling back to the configured tokens: it may hold the only tokens TikTok still accepts,
    and a run with the old ones would either be refused or, if TikTok rotated them again,
    overwrite the file the user could have repaired.
    """

    def __init__(self, path: Path, accounts: dict[str, dict[str, str]]) -> None:
        """A store read from `path` (use `load`)."""
        self.path = path
        self._accounts = accounts
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str) -> RefreshTokenStore:
        """The store at `path`; none there yet is an empty one (the first run)."""
        # A link (to a secrets volume, say) is followed: the file it points to is replaced.
        store = Path(path).expanduser().resolve()
        return cls(store, _read(store))

    def refresh_token(self, business_id: str, configured: str) -> str | None:
        """The account's newest refresh token, if it replaced the configured one."""
        entry = self._accounts.get(business_id)
        if entry is None or entry["configured_sha256"] != configured_key(configured):
            return None
        return entry["refresh_token"]

    def newer(self, business_id: str, configured: str, refused: str) -> str | None:
        """The account's token in the file now, if another run kept one in place of `refused`.

        A file that cannot be read now offers nothing: the refusal stands.
        """
        with self._lock:
            with contextlib.suppress(TokenStoreError):
                self._accounts = _read(self.path)
            kept = self.refresh_token(business_id, configured)
        return kept if kept != refused else None

    def keep(self, business_id: str, configured: str, refresh_token: str) -> None:
        """Store the account's new refresh token; raises `OSError` when it cannot.

        The file is read again first, so that the entries another run kept in the meantime
        (another shard, another selection of streams) stay; the lock on `<store>.lock` keeps
        another run from writing between that read and this write.
        """
        entry = {
            "configured_sha256": configured_key(configured),
            "refresh_token": refresh_token,
            "stored_at": utc_now().isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._lock, _exclusive(self.path.with_name(f"{self.path.name}.lock")):
            with contextlib.suppress(TokenStoreError):
                self._accounts = _read(self.path)
            self._accounts[business_id] = entry
            self._write({"about": _ABOUT, "accounts": self._accounts})

    def _write(self, content: dict[str, Any]) -> None:
        """Replace the file at once: a temporary file beside it, renamed over it."""
        handle, name = tempfile.mkstemp(  # mode 0600
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        temporary = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(content, file, indent=2, sort_keys=True)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(self.path)
            _sync_folder(self.path.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `lock_file` (created empty, mode 0600); waits for it.

    The lock file stays: removed, two runs could each lock another file of that name.
    Without `fcntl` (Windows) there is no lock.
    """
    if sys.platform == "win32":
        yield
        return
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _sync_folder(folder: Path) -> None:
    """Make the rename durable: after a power cut the old file must not come back.

    It may hold a refresh token TikTok no longer accepts.
    """
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read(path: Path) -> dict[str, dict[str, str]]:
    """The entries of the store file, or `TokenStoreError` saying what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(
            path, f"cannot be read ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})"
        ) from None
    if not text.strip():  # created empty beforehand, e.g. to set its permissions
        return {}
    try:
        content = json.loads(text)
    except ValueError as exc:  # the message gives the position, never the text
        raise _error(path, f"is not JSON ({exc})") from None
    accounts = content.get("accounts") if isinstance(content, dict) else None
    if not isinstance(accounts, dict) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("configured_sha256"), str)
        and isinstance(entry.get("refresh_token"), str)
        and entry["refresh_token"]
        for entry in accounts.values()
    ):
        raise _error(
            path,
            'is not a store of refresh tokens ({"accounts": {business_id: {"refresh_token", '
            '"configured_sha256"}}})',
        )
    return accounts


def _error(path: Path, problem: str) -> TokenStoreError:
    """Which file, what is wrong and what to do; never the file's content (it holds tokens)."""
    message = (
        f"`{STORE_SETTING}`: the file {path} {problem}. It keeps the refresh tokens TikTok "
        "rotated, which earlier runs used; no request was sent. Repair it, or move it away "
        "to start again from the refresh tokens in `tiktok_accounts` (an account whose "
        "token TikTok rotated since then needs re-authorising)."
    )
    return TokenStoreError([message])
