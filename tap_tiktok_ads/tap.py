"""The tap: settings, which streams exist, and a clean failure for the user's mistakes."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_tiktok_ads.custom_reports import parse_custom_reports
from tap_tiktok_ads.runtime import Runtime
from tap_tiktok_ads.settings import CONFIG_SCHEMA, Settings, check_settings
from tap_tiktok_ads.streams.advertisers import (
    AdvertiserDirectory,
    AdvertisersStream,
    AuthorizedAdvertisersStream,
)
from tap_tiktok_ads.streams.entities import entity_streams
from tap_tiktok_ads.streams.organic import organic_streams
from tap_tiktok_ads.streams.reports import ReportStream, builtin_reports

if TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapTikTokAds(Tap):
    """Singer tap for the TikTok API for Business v1.3."""

    name = "tap-tiktok-ads"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = MsgSpecWriter

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The JSON schema check, then checks of the values that name key and fix."""
        errors = super()._validate_config(raise_errors=raise_errors)
        if errors:
            return errors
        errors = check_settings(self.config)
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        for error in errors:
            self.logger.warning(error)
        return errors

    @cached_property
    def runtime(self) -> Runtime:
        """What every stream of this run shares."""
        return Runtime(Settings.from_config(self.config))

    def discover_streams(self) -> list[Stream]:
        """Every stream; building them needs neither credentials nor network."""
        runtime = self.runtime
        info = AdvertisersStream(self, runtime)
        runtime.directory = AdvertiserDirectory(AuthorizedAdvertisersStream(self, runtime), info)
        custom, _ = parse_custom_reports(self.config.get("custom_reports"), self.logger)
        reports = [
            ReportStream(self, runtime, definition) for definition in [*builtin_reports(), *custom]
        ]
        return [info, *entity_streams(self, runtime), *reports, *organic_streams(self, runtime)]

    @classmethod
    def invoke(cls, **kwargs: Any) -> None:  # type: ignore[override]  # noqa: ANN401
        """Run the tap; TikTok's refusals end in one clear message, not a traceback.

        The STATE emitted before the failure stays valid: bookmarks only move past data
        that was emitted, so the next run resumes there.
        """
        try:
            super().invoke(**kwargs)
        except FatalAPIError as exc:
            cls.logger.error("Sync failed: %s", exc)  # noqa: TRY400
            sys.exit(1)


def main(*args: Any, **kwargs: Any) -> None:  # noqa: ANN401
    """Console entry point."""
    TapTikTokAds.cli(*args, **kwargs)
