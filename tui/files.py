"""Rulebook files as the studio keeps them: reading, saving with a backup, and recent ones.

Saving never loses the previous text: the file on disk is copied to `NAME.bak`
first, and the new text is written to a temporary file that replaces the old one
in one step, so a crash mid-save leaves either the old or the new rulebook,
never half of one.

The list of recent rulebooks lives in the user's config directory, or in
`$LOYALTY_CONFIG_DIR` when that is set (tests point it at a temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import platformdirs

CONFIG_ENV = "LOYALTY_CONFIG_DIR"
RECENT_LIMIT = 10


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("loyalty"))


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def read_rulebook(path: Path) -> str:
    """The text of a rulebook; an OSError or UnicodeDecodeError says what went wrong."""
    return path.read_text(encoding="utf-8")


def save_rulebook(path: Path, text: str) -> Path | None:
    """Write `text` to `path`, keeping the previous version; returns the backup written, if any."""
    backup = None
    if path.exists():
        backup = backup_path(path)
        shutil.copy2(path, backup)
    partial = path.with_name(f".{path.name}.saving")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return backup


def recent_rulebooks() -> list[Path]:
    """Rulebooks opened or saved lately, newest first; ones that no longer exist are left out."""
    try:
        names = json.loads((config_dir() / "recent.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(names, list):
        return []
    return [Path(name) for name in names if isinstance(name, str) and Path(name).is_file()]


def remember(path: Path) -> list[Path]:
    """Put `path` at the top of the recent list and return the list."""
    resolved = path.resolve()
    paths = [resolved] + [p for p in recent_rulebooks() if p != resolved]
    paths = paths[:RECENT_LIMIT]
    folder = config_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "recent.json").write_text(json.dumps([str(p) for p in paths], ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    except OSError:
        pass  # a read-only home must not stop anyone from editing; the list is a convenience
    return paths
