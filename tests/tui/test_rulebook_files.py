"""Saving with a backup, and the list of recent rulebooks."""

from __future__ import annotations

from pathlib import Path

from tui.files import RECENT_LIMIT, config_dir, recent_rulebooks, remember, save_rulebook


def test_saving_over_a_rulebook_keeps_the_previous_text_as_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "club.rules"
    path.write_text("tier bronze\n", encoding="utf-8")
    backup = save_rulebook(path, "tier silver\n")
    assert path.read_text(encoding="utf-8") == "tier silver\n"
    assert backup == tmp_path / "club.rules.bak"
    assert backup.read_text(encoding="utf-8") == "tier bronze\n"


def test_saving_a_new_rulebook_makes_no_backup(tmp_path: Path) -> None:
    assert save_rulebook(tmp_path / "new.rules", "tier bronze\n") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.rules"]


def test_the_config_folder_follows_the_environment(config_dir_env: Path) -> None:
    assert config_dir() == config_dir_env


def test_recent_rulebooks_are_newest_first_without_repeats(tmp_path: Path) -> None:
    first, second = tmp_path / "a.rules", tmp_path / "b.rules"
    for path in (first, second):
        path.write_text("", encoding="utf-8")
    remember(first)
    remember(second)
    remember(first)
    assert recent_rulebooks() == [first.resolve(), second.resolve()]


def test_a_rulebook_that_was_deleted_drops_out_of_the_recent_list(tmp_path: Path) -> None:
    gone = tmp_path / "gone.rules"
    gone.write_text("", encoding="utf-8")
    remember(gone)
    gone.unlink()
    assert recent_rulebooks() == []


def test_the_recent_list_is_bounded(tmp_path: Path) -> None:
    for n in range(RECENT_LIMIT + 3):
        path = tmp_path / f"r{n}.rules"
        path.write_text("", encoding="utf-8")
        remember(path)
    assert len(recent_rulebooks()) == RECENT_LIMIT


def test_an_unreadable_recent_list_counts_as_empty(config_dir_env: Path) -> None:
    config_dir_env.mkdir(parents=True)
    (config_dir_env / "recent.json").write_text("{not json", encoding="utf-8")
    assert recent_rulebooks() == []
