"""Measurement: the pixels and the custom audiences of each ad account. Full table.

The reference pages (Doc 1740858697598978 "Get pixels", Doc 1739940506015746 "Get all
audiences") are not among the pages stored with this project; the parameters and fields here
are those of the Go SDK's transcription of them (bububa/tiktok-business, `model/pixel`,
`model/dmp/customaudience`) and of TikTok's own SDK (tiktok/tiktok-business-api-sdk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk import typing as th

from tap_tiktok_ads.streams.account_objects import AccountObjectStream

if TYPE_CHECKING:
    from singer_sdk import Tap

    from tap_tiktok_ads.runtime import Runtime

_STRINGS = th.ArrayType(th.StringType)
_TEXT_OR_TEXTS = th.CustomType({"type": ["array", "string", "null"], "items": {"type": "string"}})


def _flags(*names: str) -> list[th.Property]:
    return [th.Property(name, th.BooleanType) for name in names]


_PIXEL_EVENT = th.ObjectType(
    th.Property("event_id", th.StringType),
    th.Property("event_code", th.StringType),
    th.Property("name", th.StringType),
    th.Property("event_type", th.StringType),
    th.Property("optimization_event", th.StringType),
    th.Property("custom_event_type", th.StringType),
    th.Property("statistic_type", th.StringType),
    th.Property("currency", th.StringType),
    th.Property("currency_value", th.StringType),
    th.Property("deprecated", th.BooleanType),
    th.Property(
        "rules",
        th.ArrayType(
            th.ObjectType(
                th.Property("operator", th.StringType),
                th.Property("trigger", th.StringType),
                th.Property("value", th.StringType),
                th.Property("variable", th.StringType),
            )
        ),
    ),
)


class PixelsStream(AccountObjectStream):
    """`pixel/list/`: each advertiser's pixels with their events (Doc 1740858697598978)."""

    name = "pixels"
    path = "/pixel/list/"
    primary_keys = ("advertiser_id", "pixel_id")
    list_key = "pixels"  # Doc 1740858697598978: `data.pixels`, not `data.list`
    max_page_size = 20  # Doc 1740858697598978: page_size 1-20
    schema = th.PropertiesList(
        th.Property("advertiser_id", th.StringType, required=True),
        th.Property("pixel_id", th.StringType, required=True),
        th.Property("pixel_code", th.StringType),
        th.Property("pixel_name", th.StringType),
        th.Property("pixel_category", th.StringType),
        th.Property("pixel_script", th.StringType),
        th.Property("pixel_setup_mode", th.StringType),
        th.Property("partner_name", th.StringType),
        th.Property("create_time", th.DateTimeType),
        *_flags("enable_first_party_cookies", "enable_expanded_data_sharing"),
        th.Property("advanced_matching_fields", th.ObjectType(*_flags("phone_number", "email"))),
        th.Property(
            "automatic_advanced_matching_fields",
            th.ObjectType(*_flags("phone_number", "email", "name", "address", "external_id")),
        ),
        th.Property(
            "asset_ownership",
            th.ObjectType(
                th.Property("asset_relation_status", th.StringType),
                th.Property("ownership_status", th.BooleanType),
                th.Property("owner_bc_id", th.StringType),
            ),
        ),
        th.Property("events", th.ArrayType(_PIXEL_EVENT)),
    ).to_dict()


class CustomAudiencesStream(AccountObjectStream):
    """`dmp/custom_audience/list/`: each advertiser's audiences (Doc 1739940506015746)."""

    name = "custom_audiences"
    path = "/dmp/custom_audience/list/"
    primary_keys = ("advertiser_id", "audience_id")
    max_page_size = 100  # Doc 1739940506015746: page_size 1-100
    schema = th.PropertiesList(
        th.Property("advertiser_id", th.StringType, required=True),
        th.Property("audience_id", th.StringType, required=True),
        th.Property("name", th.StringType),
        th.Property("audience_type", th.StringType),
        th.Property("audience_sub_type", th.StringType),
        th.Property("calculate_type", th.StringType),
        th.Property("cover_num", th.IntegerType),
        *_flags("shared", "is_creator", "is_valid", "is_expiring", "is_auto_refresh"),
        th.Property("owner_id", th.StringType),
        th.Property("rule", th.StringType),
        th.Property(
            "lookalike_spec",
            th.ObjectType(
                th.Property("source_audience_id", th.StringType),
                th.Property("include_source", th.BooleanType),
                th.Property("mobile_os", th.StringType),
                # A string in the Go SDK's model, a list where audiences are created: either.
                th.Property("placements", _TEXT_OR_TEXTS),
                th.Property("location_ids", _STRINGS),
                th.Property("audience_size", th.StringType),
            ),
        ),
        th.Property("msg", th.StringType),
        th.Property("error_msg", th.StringType),
        th.Property("create_time", th.DateTimeType),
        th.Property("expired_time", th.DateTimeType),
    ).to_dict()


def measurement_streams(tap: Tap, runtime: Runtime) -> list[AccountObjectStream]:
    """The pixels and custom audiences streams."""
    return [PixelsStream(tap, runtime), CustomAudiencesStream(tap, runtime)]
