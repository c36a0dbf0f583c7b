"""The tap: settings, which streams exist, and a clean failure for the user's mistakes."""

from __future__ import annotations

import itertools
import sys
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.helpers._util import load_json
from singer_sdk.plugin_base import PluginBase, _ConfigInput
from singer_sdk.singerlib import Catalog
from typing_extensions import override

from tap_tiktok_ads.catalog_text import catalog_text
from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.custom_reports import parse_custom_reports
from tap_tiktok_ads.deferred_maps import register_catalog
from tap_tiktok_ads.gc_pause import collector_paused, own_process, resume
from tap_tiktok_ads.input_catalog import input_catalog, input_catalog_text
from tap_tiktok_ads.inputs import (
    InputFileError,
    catalog_errors,
    catalog_shape_errors,
    catalog_text_is_well_shaped,
    read_json_object,
    state_errors,
)
from tap_tiktok_ads.report_definitions import builtin_reports
from tap_tiktok_ads.runtime import Runtime
from tap_tiktok_ads.settings import (
    CONFIG_SCHEMA,
    Settings,
    check_settings,
    given_settings,
    schema_errors,
)
from tap_tiktok_ads.streams.advertisers import (
    AdvertisersStream,
    AuthorizedAdvertisersStream,
    StreamAdvertiserLookup,
)
from tap_tiktok_ads.streams.assets import asset_streams
from tap_tiktok_ads.streams.business_centers import (
    BusinessCentersStream,
    business_center_streams,
)
from tap_tiktok_ads.streams.entities import entity_streams
from tap_tiktok_ads.streams.gmv_max import gmv_max_streams
from tap_tiktok_ads.streams.measurement import measurement_streams
from tap_tiktok_ads.streams.organic import OrganicStream, organic_streams
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.transport import redact_logs
from tap_tiktok_ads.writer import BufferedMsgSpecWriter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import PurePath

    from singer_sdk.streams import Stream


class TapTikTokAds(Tap):
    """Singer tap for the TikTok API for Business v1.3."""

    name = "tap-tiktok-ads"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = BufferedMsgSpecWriter
    _reads_early = True  # see `resolve_advertisers`

    @override
    def __init__(
        self, *, catalog: PurePath | str | dict | Catalog | None = None, **kwargs: Any
    ) -> None:
        """The SDK's tap; a catalog given as a dict is parsed only where it selects.

        The dict's deselected entries are parsed from it when first read, not copied: a
        caller that passes one keeps it unchanged for the tap's life (input_catalog.py).
        A setting set to null in a config dict takes its default, as a missing one does.
        """
        if isinstance(catalog, dict) and not isinstance(catalog, Catalog):
            catalog = input_catalog(catalog)  # what the command line passes (input_catalog.py)
        if isinstance(kwargs.get("config"), dict):  # what the command line passes
            kwargs["config"] = given_settings(kwargs["config"])
        super().__init__(catalog=catalog, **kwargs)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The JSON schema check (types and ranges), then the checks it cannot make.

        Every message names the key; out of range, also the range and the default.
        """
        try:
            super()._validate_config(raise_errors=True)
        except ConfigValidationError:  # the same check again, worded for the user
            errors = schema_errors(self.config, self.config_jsonschema)
        else:
            errors = check_settings(self.config)
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        for error in errors:
            self.logger.warning(error)
        return errors

    @override
    def setup_mapper(self) -> None:
        """The SDK's mapper; the maps of streams the catalog deselects wait until asked for."""
        PluginBase.setup_mapper(self)  # the first half of `Tap.setup_mapper` (pinned)
        register_catalog(self.mapper, self.catalog)

    @property
    @override
    def catalog_json_text(self) -> str:
        """The SDK's catalog, one line per stream, property and metadata entry (catalog_text.py)."""
        return catalog_text(self.catalog_dict)

    @cached_property
    def runtime(self) -> Runtime:
        """What every stream of this run shares; its secrets are masked in every log line."""
        runtime = Runtime(Settings.from_config(self.config), log_name=self.name)
        redact_logs(runtime.redactor)
        return runtime

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """Refuse a state of the wrong shape with a message, before the SDK trips over it."""
        errors = state_errors(state)
        if errors:
            raise InputFileError(errors)
        super().load_state(state)

    @override
    def discover_streams(self) -> list[Stream]:
        """Every stream; building them needs neither credentials nor network."""
        runtime = self.runtime
        custom, _ = parse_custom_reports(self.config.get("custom_reports"), self.logger)
        reports = [
            ReportStream(self, runtime, definition) for definition in [*builtin_reports(), *custom]
        ]
        streams: list[Stream] = [
            AdvertisersStream(self, runtime),
            *entity_streams(self, runtime),
            *asset_streams(self, runtime),
            *measurement_streams(self, runtime),
            *business_center_streams(self, runtime),
            *reports,
            *gmv_max_streams(self, runtime),
            *organic_streams(self, runtime),
        ]
        if self.input_catalog is not None:
            # A selected stream or property the tap does not have stops the run here,
            # before any request; the SDK would skip it without a word.
            errors = catalog_errors(self.input_catalog, {s.name: s for s in streams})
            if errors:
                raise InputFileError(errors)
        return streams

    # The SDK marks its two ways into a sync final but offers no hook at their start; these
    # only add a step before them (tests/test_sdk_contract.py pins what they call).
    @override  # type: ignore[misc]
    def sync_all(self) -> None:
        """Resolve the advertisers, then sync the selected streams."""
        selected = [stream for stream in self.streams.values() if stream.selected]
        resume()  # the streams are built, the start is over: collect garbage as usual
        open_token_stores(selected)
        self.resolve_advertisers(selected)
        super().sync_all()

    @override  # type: ignore[misc]
    def run_sync_dry_run(
        self,
        dry_run_record_limit: int | None = 1,
        streams: Iterable[Stream] | None = None,
    ) -> bool:
        """The SDK's connection test syncs every stream (or these): resolve for them first."""
        streams = list(self.streams.values() if streams is None else streams)
        resume()  # the streams are built: the start of `--test` is over too
        self._reads_early = False  # a record or so per stream: nothing read ahead for them
        open_token_stores(streams)
        self.resolve_advertisers(streams)
        return super().run_sync_dry_run(dry_run_record_limit, streams)

    def resolve_advertisers(self, streams: Iterable[Stream]) -> None:
        """Look the run's advertisers up once, before the first stream syncs.

        Only when one of `streams` reads advertisers: a run of organic streams alone sends
        no advertiser request. A refused advertiser fails alone, as in any stream. In a
        sync (not the SDK's connection test), a report stream synced first reads what needs
        no time zone while the advertisers are looked up (zone_free.py), and a report stream
        synced right after another once that one asked for all of its windows; a failed
        lookup ends those reads.
        """
        if not any(isinstance(s, TikTokStream) and s.needs_advertisers for s in streams):
            return
        info = self.streams["advertisers"]
        assert isinstance(info, AdvertisersStream)  # noqa: S101 - discover_streams builds it
        centers = self.streams["business_centers"]
        assert isinstance(centers, BusinessCentersStream)  # noqa: S101 - as above
        # The `business_centers` stream's asset listing: each Business Center read once a run.
        lookup = StreamAdvertiserLookup(
            AuthorizedAdvertisersStream(self, self.runtime), info, centers.assets
        )
        # Only where the stream synced just before cannot change what a report stream asks
        # (the `ads` stream counts the ads that decide ID batches: id_batches.py).
        order = [s for s in streams if not isinstance(s, AdvertisersStream)]
        order = order if self._reads_early else []
        for stream, following in itertools.pairwise(order):
            if isinstance(stream, ReportStream) and isinstance(following, ReportStream):
                stream.next_reports = following
        before_info = order[0].read_early if order and isinstance(order[0], ReportStream) else None
        bookmarks = self.state.get("bookmarks") or {}
        bookmarked = tuple(
            stream.name
            for stream in streams
            if isinstance(stream, TikTokStream)
            and stream.needs_advertisers
            and any((bookmarks.get(stream.name) or {}).values())
        )
        try:
            self.runtime.directory.resolve(lookup, info.logger, before_info, bookmarked)
        except BaseException:
            for stream in order:  # their reads started during the lookup end with it
                if isinstance(stream, ReportStream):
                    stream.stop_reads()
            self.runtime.close()
            raise

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Run the tap; TikTok's refusals and bad input files end in one clear message.

        The STATE emitted before a failure stays valid: bookmarks only move past data
        that was emitted, so the next run resumes there.
        """
        try:
            with collector_paused():  # until `sync_all` starts (gc_pause.py)
                cls._run(
                    state=_checked(state, "state file", _check_state_text),
                    catalog=_checked(catalog, "catalog file", _check_catalog_text),
                    **kwargs,
                )
        except InputFileError as exc:
            for error in exc.errors:
                cls.logger.error(error)  # noqa: TRY400
            sys.exit(1)
        except FatalAPIError as exc:
            cls.logger.error("Sync failed: %s", exc)  # noqa: TRY400
            sys.exit(1)

    @classmethod
    def _run(
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: str | None = None,
        catalog: str | None = None,
    ) -> None:
        """`Tap.invoke` (pinned), given the files' texts; the catalog's is read lazily.

        Its entries' fields are decoded as the SDK decodes the whole file, when first read
        (input_catalog.py): for one selected stream, 0.03 s less before the first request.
        """
        super(Tap, cls).invoke(about=about, about_format=about_format)
        cls.print_version(print_fn=cls.logger.info)
        config = config or _ConfigInput()

        tap = cls(
            config=config.config,
            state=None if state is None else load_json(state),
            catalog=None if catalog is None else input_catalog_text(catalog),
            parse_env_config=config.parse_env,
            validate_config=True,
        )
        tap.sync_all()

    @classmethod
    @override
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """The SDK's `--discover`, with the collector paused while it builds the catalog."""
        if not value:  # click calls it for every command: the command's pause goes on
            return
        with collector_paused():
            super().cb_discover(ctx, param, value)

    @classmethod
    @override
    def cb_config(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: tuple[str, ...],
    ) -> Any:
        """Read the config files; one that is missing or not JSON is a usage error."""
        try:
            return super().cb_config(ctx, param, value)
        except (OSError, ValueError, TypeError) as exc:
            files = ", ".join(value)
            msg = f"{exc}. Each --config ({files}) must be a readable JSON object file, or ENV."
            raise click.BadParameter(msg, ctx=ctx, param=param) from None


def open_token_stores(streams: Iterable[Stream]) -> None:
    """Read the refresh tokens earlier runs kept, before any request (token_store.py).

    Only for a run with organic streams: a store that cannot be read stops it here.
    """
    for stream in streams:
        if isinstance(stream, OrganicStream):
            stream.tokens.open_store()


def _checked(file: IO[str] | None, what: str, check: Callable[[str, str], None]) -> str | None:
    """The file's text, checked."""
    if file is None:
        return None
    text = file.read()
    check(text, what)
    return text


def _check_state_text(text: str, what: str) -> None:
    read_json_object(text, what, "pass the last STATE value the tap wrote, or no state")


def _check_catalog_text(text: str, what: str) -> None:
    if catalog_text_is_well_shaped(text):  # nothing to report: no need to build it
        return
    fix = "run `tap-tiktok-ads --config CONFIG --discover` for a catalog"
    errors = catalog_shape_errors(read_json_object(text, what, fix))
    if errors:
        raise InputFileError(errors)


def main(*args: Any, **kwargs: Any) -> None:  # noqa: ANN401
    """The tap's command line, for callers that import the tap first, in a process of its own.

    The `tap-tiktok-ads` command is `command.main`, which imports it with the collector paused.
    """
    own_process()
    TapTikTokAds.cli(*args, **kwargs)
