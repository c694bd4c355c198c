"""Fixtures for the studio's tests: a private config folder and a private copy of the sample rulebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.app import StudioApp

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def config_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Recent rulebooks go to a temporary folder, never the developer's own config."""
    folder = tmp_path / "config"
    monkeypatch.setenv("LOYALTY_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def rulebook(tmp_path: Path) -> Path:
    """studio.rules and its events beside it, copied so a test may save over them."""
    for name in ("studio.rules", "studio.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "studio.rules"


@pytest.fixture
def studio(rulebook: Path, registry) -> StudioApp:
    """The app on the sample rulebook; simulation runs only when asked (F5), never on a timer."""
    return StudioApp(rulebook, registry=registry, quiet_pause=3600)
