"""What the Meltano tests share: the project, its plugins' Meltano, and the tap's `--about`.

A module of its own so that no test module imports another.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
DEV_TOKEN = "fake-demo-token"  # the dev environment's access_token in meltano.yml
ENV_PREFIXES = ("TAP_TIKTOK_ADS_", "TARGET_", "MELTANO_")


class MeltanoProject:
    """The repository's Meltano project with a private system directory and state database."""

    def __init__(self, home: Path, env: dict[str, str], *, required: bool) -> None:
        meltano = os.environ.get("TAP_TIKTOK_ADS_TEST_MELTANO")
        plugins = os.environ.get("TAP_TIKTOK_ADS_TEST_MELTANO_PLUGINS")
        missing = "Meltano and its plugins are installed by scripts/test, which sets "
        missing += "TAP_TIKTOK_ADS_TEST_MELTANO and TAP_TIKTOK_ADS_TEST_MELTANO_PLUGINS"
        if not meltano or not plugins:
            if required:
                pytest.fail(f"{missing}; run the tests with scripts/test.")
            pytest.skip(f"{missing}; run scripts/test to include this test.")
        self.executable = Path(meltano)
        self.plugins = Path(plugins)
        sys_dir = home / "meltano"
        sys_dir.mkdir(parents=True)
        for plugin_type in ("extractors", "loaders"):
            installed = self.plugins / plugin_type
            assert installed.is_dir(), f"{installed} is missing: run scripts/test"
            (sys_dir / plugin_type).symlink_to(installed, target_is_directory=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        self.env |= {
            "MELTANO_SYS_DIR_ROOT": str(sys_dir),
            "MELTANO_DATABASE_URI": f"sqlite:///{home / 'meltano-state.db'}",
            "MELTANO_ENVIRONMENT": "dev",
            **env,
        }

    def loader_python(self, loader: str) -> Path:
        return self.plugins / "loaders" / loader / "venv" / "bin" / "python"

    def meltano(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.executable), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, (
            f"meltano {' '.join(args)} exited {result.returncode}:\n{result.stderr[-8000:]}"
        )
        return result.stdout

    def run(self, loader: str, *, end_date: dt.date) -> None:
        self.env["TAP_TIKTOK_ADS_END_DATE"] = end_date.isoformat()
        self.meltano("run", "--no-install", "tap-tiktok-ads", loader)

    def state(self, loader: str) -> dict[str, Any]:
        return json.loads(self.meltano("state", "get", f"dev:tap-tiktok-ads-to-{loader}"))


@cache
def about() -> dict[str, Any]:
    result = run_cli(None, "--about", "--format=json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@cache
def meltano_yml() -> dict[str, Any]:
    return yaml.safe_load((REPO / "meltano.yml").read_text())


def extractor() -> dict[str, Any]:
    (tap,) = [p for p in meltano_yml()["plugins"]["extractors"] if p["name"] == "tap-tiktok-ads"]
    return tap
