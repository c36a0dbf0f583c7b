"""Every Meltano command the README shows runs on Meltano 4 against the project's meltano.yml.

The commands are read from the README itself (shell blocks and inline code), placeholders such
as YOUR_ACCESS_TOKEN become the fake's values, and each runs in a copy of the project whose
`prod` and `dev` environments both reach the fake TikTok API (TAP_TIKTOK_ADS_API_BASE_URL), so
`meltano run` really runs. `meltano config set` writes to the copy's `.env` and `meltano.yml`.
Meltano and its plugins come from scripts/test, as for tests/test_e2e_meltano.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.meltano_support import DEV_TOKEN, MeltanoProject, about, extractor, meltano_yml

REPO = Path(__file__).resolve().parents[1]
README_TOKEN = "readme-token"
# scripts/test runs `meltano install` on the project before the tests; running it again here
# would reinstall the plugin environments that other tests use at the same moment.
RUN_BY_SCRIPTS_TEST = {"meltano install"}
TODAY = dt.datetime.now(dt.timezone.utc).date()


def readme_meltano_commands() -> list[str]:
    """`meltano ...` lines of the README's shell blocks and inline code, in order, once each."""
    readme = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.DOTALL):
        for line in block.splitlines():
            command = line.split(" #")[0].strip()
            if command.startswith("meltano "):
                commands.append(command)
    commands += [span for span in re.findall(r"`([^`\n]+)`", readme) if span.startswith("meltano ")]
    return list(dict.fromkeys(commands))


def test_the_readme_shows_the_meltano_4_commands_a_user_needs():
    commands = readme_meltano_commands()
    assert "meltano config set tap-tiktok-ads access_token YOUR_ACCESS_TOKEN" in commands
    assert any(
        c.startswith("meltano --environment=prod config list tap-tiktok-ads") for c in commands
    )
    assert "meltano --environment=dev run tap-tiktok-ads target-duckdb" in commands
    # Meltano 4 has no `meltano config <plugin> set` and no positional plugin type in `add`.
    assert not [c for c in commands if c.startswith("meltano config tap-")]
    assert not [c for c in commands if re.match(r"meltano add (extractor|loader) ", c)]


def test_meltano_yml_capabilities_are_all_the_tap_declares():
    assert sorted(extractor()["capabilities"]) == sorted(about()["capabilities"])


def test_meltano_yml_values_are_the_tap_defaults():
    """`meltano config list` shows what the tap does when a setting is not set."""
    properties = about()["settings"]["properties"]
    values = {s["name"]: s["value"] for s in extractor()["settings"] if "value" in s}
    defaults = {name: prop["default"] for name, prop in properties.items() if "default" in prop}
    # Passing the URL on every run would stop `sandbox` from choosing TikTok's sandbox host.
    defaults.pop("api_base_url")
    assert values == defaults
    assert meltano_yml()["default_environment"] == "prod"


@pytest.fixture
def api():
    spec = DataSpec(
        advertisers=2,
        campaigns_per_advertiser=1,
        adgroups_per_campaign=1,
        ads_per_adgroup=2,
        first_day=TODAY - dt.timedelta(days=30),
        last_day=TODAY,
    )
    with FakeTikTokApi(FakeData(spec), tokens={DEV_TOKEN, README_TOKEN}) as server:
        yield server


def test_every_meltano_command_in_the_readme_runs(api: FakeTikTokApi, tmp_path: Path):
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    shutil.copy(REPO / "meltano.yml", project_dir / "meltano.yml")
    recent = (TODAY - dt.timedelta(days=3)).isoformat()
    env = {"TAP_TIKTOK_ADS_API_BASE_URL": api.base_url, "TAP_TIKTOK_ADS_START_DATE": recent}
    project = MeltanoProject(tmp_path, env, required=False)
    # The README's commands choose their environment themselves; the default is prod.
    project.env.pop("MELTANO_ENVIRONMENT")
    mappers = project.plugins / "mappers"
    assert mappers.is_dir(), f"{mappers} is missing: run scripts/test"
    (tmp_path / "meltano" / "mappers").symlink_to(mappers, target_is_directory=True)
    placeholders = {
        "YOUR_ACCESS_TOKEN": README_TOKEN,
        "YOUR_ADVERTISER_ID": api.data.advertiser_ids()[0],
    }

    outputs = {}
    for shown in readme_meltano_commands():
        if shown in RUN_BY_SCRIPTS_TEST:
            continue
        command = shown
        for placeholder, value in placeholders.items():
            command = command.replace(placeholder, value)
        _meltano, *args = shlex.split(command)
        outputs[shown] = project.meltano("--cwd", str(project_dir), *args)

    assert f"TAP_TIKTOK_ADS_ACCESS_TOKEN='{README_TOKEN}'" in (project_dir / ".env").read_text()
    saved = yaml.safe_load((project_dir / "meltano.yml").read_text())
    (prod,) = [e for e in saved["environments"] if e["name"] == "prod"]
    (tap,) = prod["config"]["plugins"]["extractors"]
    assert tap["config"]["advertiser_ids"] == [api.data.advertiser_ids()[0]]
    listing = next(out for cmd, out in outputs.items() if " config list " in f"{cmd} ")
    # The tap's default, and where the value in force comes from (here the test's variable).
    assert "start_date [env: TAP_TIKTOK_ADS_START_DATE] (default: '30') current value:" in listing
    assert (
        "attribution_window_days [env: TAP_TIKTOK_ADS_ATTRIBUTION_WINDOW_DAYS] current value: 7 (default)"
        in listing
    )
    assert README_TOKEN not in listing
    assert (project_dir / "output" / "tiktok_ads.duckdb").exists()
    assert (project_dir / "output" / "jsonl" / "campaigns.jsonl").exists()
    assert (project_dir / "output" / "record-counts.json").exists()
