"""`meltano.yml` and the Meltano Hub definition agree with what the tap says about itself.

A setting added to the tap must be added to both files (with a kind, a label and a
description, and `sensitive: true` when it holds a secret); the failure message shows the
entry to paste.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml

from tests.conftest import run_cli
from tests.meltano_support import REPO, about, extractor, meltano_yml

# Meltano's setting kinds for each JSON type; the first is the one to suggest.
JSON_TYPE_KINDS = {
    "string": ("string", "password", "options", "date_iso8601", "email", "file"),
    "integer": ("integer",),
    "number": ("decimal",),
    "boolean": ("boolean",),
    "array": ("array",),
    "object": ("object",),
}
# Streams that `select` must name (among others): daily ad and campaign performance,
# age/gender audience, and the entities.
DEFAULT_STREAMS = {
    "advertisers",
    "campaigns",
    "adgroups",
    "ads",
    "ad_report_daily",
    "campaign_report_daily",
    "ad_audience_age_gender_daily",
    "campaign_audience_age_gender_daily",
}


@cache
def catalog() -> dict[str, set[str]]:
    """Each stream's properties, from an offline `--discover`."""
    result = run_cli(None, "--discover")
    assert result.returncode == 0, result.stderr
    streams = json.loads(result.stdout)["streams"]
    return {s["tap_stream_id"]: set(s["schema"]["properties"]) for s in streams}


def about_settings() -> dict[str, dict[str, Any]]:
    return about()["settings"]["properties"]


def json_type(prop: dict[str, Any]) -> str:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    return next(t for t in types if t != "null")


def holds_secret(prop: dict[str, Any]) -> bool:
    """A secret itself, or objects with secret fields (e.g. `tiktok_accounts` tokens)."""
    if prop.get("secret"):
        return True
    nested = prop.get("properties") or (prop.get("items") or {}).get("properties") or {}
    return any(holds_secret(sub) for sub in nested.values())


def suggested_entry(name: str, prop: dict[str, Any]) -> str:
    kind = JSON_TYPE_KINDS[json_type(prop)][0]
    if holds_secret(prop) and kind == "string":
        kind = "password"
    entry = {
        "name": name,
        "kind": kind,
        "label": prop.get("title"),
        "description": prop.get("description"),
    }
    if holds_secret(prop):
        entry["sensitive"] = True
    return yaml.safe_dump([entry], sort_keys=False, width=96)


def check_settings_match(settings: list[dict[str, Any]], where: str) -> None:
    declared = {setting["name"]: setting for setting in settings}
    missing = [name for name in about_settings() if name not in declared]
    assert not missing, f"{where} lacks settings the tap has; add:\n" + "".join(
        suggested_entry(name, about_settings()[name]) for name in missing
    )
    stale = sorted(set(declared) - set(about_settings()))
    assert not stale, f"{where} declares settings the tap does not have: {stale}"
    for name, prop in about_settings().items():
        setting = declared[name]
        kind = setting.get("kind")
        assert kind in JSON_TYPE_KINDS[json_type(prop)], f"{where}: {name} has kind {kind}"
        assert setting.get("label"), f"{where}: {name} has no label"
        assert setting.get("description"), f"{where}: {name} has no description"
        if holds_secret(prop):
            assert setting.get("sensitive") is True, f"{where}: secret {name} is not sensitive"
            if json_type(prop) == "string":
                assert kind == "password", f"{where}: secret {name} should be kind password"


@cache
def hub_definition() -> dict[str, Any]:
    return yaml.safe_load((REPO / "meltano-hub" / "tap-tiktok-ads.yml").read_text())


def test_meltano_yml_declares_every_setting_of_the_tap() -> None:
    check_settings_match(extractor()["settings"], "meltano.yml")


def test_hub_definition_settings_equal_the_tap_about() -> None:
    hub = hub_definition()
    check_settings_match(hub["settings"], "meltano-hub/tap-tiktok-ads.yml")
    assert [s["name"] for s in hub["settings"]] == list(about_settings())
    for setting in hub["settings"]:
        prop = about_settings()[setting["name"]]
        assert setting["label"] == prop["title"], setting["name"]
        assert setting["description"] == prop["description"], setting["name"]
    for key in ("name", "namespace", "executable"):
        assert hub[key] == extractor()[key], key
    for key in ("variant", "label", "description", "repo", "pip_url", "keywords", "domain_url"):
        assert hub.get(key), f"the hub definition has no {key}"
    assert set(hub["capabilities"]) <= set(about()["capabilities"])
    assert {"catalog", "discover", "state", "about"} <= set(hub["capabilities"])
    assert hub["settings_group_validation"] == extractor()["settings_group_validation"]


def test_meltano_yml_capabilities_are_the_tap_capabilities() -> None:
    assert set(extractor()["capabilities"]) <= set(about()["capabilities"])
    assert {"catalog", "discover", "state", "stream-maps", "schema-flattening"} <= set(
        extractor()["capabilities"]
    )


def test_default_select_names_real_streams_and_properties() -> None:
    streams = catalog()
    rules = extractor()["select"]
    selected = set()
    for rule in rules:
        stream, _, prop = rule.partition(".")
        assert stream in streams, f"select rule {rule}: no stream {stream}"
        assert prop == "*" or prop in streams[stream], f"select rule {rule}: no property {prop}"
        selected.add(stream)
    assert selected >= DEFAULT_STREAMS
    for stream in DEFAULT_STREAMS & {s for s in streams if "_report_" in s or "_audience_" in s}:
        assert f"{stream}.*" not in rules, f"{stream}.* would select every metric TikTok has"
        assert f"{stream}.spend" in rules
        assert f"{stream}.impressions" in rules


def test_environments_and_loaders_work_without_meltano_hub() -> None:
    project = meltano_yml()
    assert "version" not in project, "Meltano 4 deprecates `version`"
    environments = {env["name"]: env for env in project["environments"]}
    assert {"dev", "prod"} <= set(environments)
    (dev_tap,) = environments["dev"]["config"]["plugins"]["extractors"]
    assert dev_tap["config"]["api_base_url"].startswith("http://127.0.0.1:")
    loaders = {loader["name"]: loader for loader in project["plugins"]["loaders"]}
    assert {"target-duckdb", "target-jsonl", "target-postgres"} <= set(loaders)
    for plugin in [extractor(), *loaders.values()]:
        # A namespace and a pip_url make a custom plugin: nothing is looked up on the hub.
        for key in ("namespace", "pip_url", "executable"):
            assert plugin.get(key), f"{plugin['name']} has no {key}"
        assert "variant" not in plugin, f"{plugin['name']} would be resolved on Meltano Hub"
        for setting in plugin.get("settings", []):
            assert setting.get("kind"), f"{plugin['name']}.{setting['name']} has no kind"
            assert setting.get("label"), f"{plugin['name']}.{setting['name']} has no label"
            assert setting.get("description"), f"{plugin['name']}.{setting['name']} undescribed"
            if setting["name"] in {"password", "sqlalchemy_url"}:
                assert setting.get("sensitive") is True, setting["name"]


def test_prod_keeps_rotated_refresh_tokens_in_the_project() -> None:
    """Meltano hands the tap a temporary config: a rotated refresh token must go to a file
    that stays, under the project (Meltano expands `$MELTANO_PROJECT_ROOT`; tests/
    test_e2e_meltano.py checks that it does)."""
    environments = {env["name"]: env for env in meltano_yml()["environments"]}
    (prod_tap,) = environments["prod"]["config"]["plugins"]["extractors"]
    path = prod_tap["config"]["refresh_token_store_path"]
    assert path == "$MELTANO_PROJECT_ROOT/.meltano/tap-tiktok-ads/refresh-tokens.json"
    assert ".meltano/" in (REPO / ".gitignore").read_text().splitlines()
