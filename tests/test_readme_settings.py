"""README.md's settings block is exactly what `scripts/readme-settings` prints.

After changing a setting, run `scripts/readme-settings --write` to update the block.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def test_readme_holds_the_generated_settings_block() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "readme-settings")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "VENV": sys.prefix},
    )
    generated = result.stdout
    assert "| Setting | Required | Default | Description |" in generated
    readme = (REPO / "README.md").read_text()
    assert readme.count(START) == readme.count(END) == 1, f"README.md needs {START} and {END}"
    block = readme.split(START, 1)[1].split(END, 1)[0]
    assert block == "\n" + generated, (
        "README.md is out of date: run scripts/readme-settings --write"
    )
