"""The compiled engine (rules_engine/compiled.py): used when it matches its source, and the same as the source."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rules_engine
from rules_engine import compiled

PACKAGE = Path(rules_engine.__file__).parent
ROOT = Path(__file__).resolve().parents[1]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A package directory as an install leaves it: every module compiled, the shared library beside the package,
    and the record of the sources; the engine imports a module that stays source."""
    package = tmp_path / "rules_engine"
    package.mkdir()
    for name in compiled.MODULES:
        (package / f"{name}.py").write_text(f"NAME = {name!r}\n", encoding="utf-8")
        (package / f"{name}{SUFFIX}").write_bytes(b"")
    (package / "engine.py").write_text("from rules_engine.program import Program\n", encoding="utf-8")
    (package / "program.py").write_text("class Program: ...\n", encoding="utf-8")
    (tmp_path / f"{compiled.LIBRARY}{SUFFIX}").write_bytes(b"")
    compiled.write_manifest(package, package, f"{compiled.LIBRARY}{SUFFIX}")
    return package


def test_a_build_that_matches_its_source_runs_compiled(built: Path) -> None:
    assert compiled.problem(built) is None


def test_an_edited_source_is_named_and_runs_from_source(built: Path) -> None:
    (built / "engine.py").write_text("NAME = 'edited'\n", encoding="utf-8")
    assert compiled.problem(built) == "the source changed since it was compiled (engine.py)"


def test_an_edited_module_the_compiled_ones_import_runs_them_from_source(built: Path) -> None:
    # mypyc builds in the types it reads from the modules a compiled one imports
    (built / "program.py").write_text("class Program:\n    size: int\n", encoding="utf-8")
    assert compiled.problem(built) == "the source changed since it was compiled (program.py)"


def test_a_missing_source_runs_from_source_rather_than_failing_the_import(built: Path) -> None:
    (built / "windows.py").unlink()
    assert compiled.problem(built) == "the source changed since it was compiled (windows.py)"


def test_a_build_that_did_not_finish_runs_from_source(built: Path) -> None:
    compiled.write_manifest(built, built, None)
    assert compiled.problem(built) == "the install that compiled them did not finish"


def test_a_missing_shared_library_runs_from_source(built: Path) -> None:
    (built.parent / f"{compiled.LIBRARY}{SUFFIX}").unlink()
    assert compiled.problem(built) == f"their shared library {compiled.LIBRARY}{SUFFIX} is missing"


def test_a_new_build_first_clears_what_an_earlier_one_left(built: Path) -> None:
    (built / f"program{SUFFIX}").write_bytes(b"")
    compiled.clean(built)
    assert compiled.extensions(built) == {} and compiled.extensions(built.parent) == {}
    assert not (built / compiled.MANIFEST).exists()


def test_a_build_without_its_record_runs_from_source(built: Path) -> None:
    (built / compiled.MANIFEST).unlink()
    assert "missing or unreadable" in (compiled.problem(built) or "")


def test_a_partial_build_runs_from_source(built: Path) -> None:
    (built / f"windows{SUFFIX}").unlink()
    assert (compiled.problem(built) or "").startswith("only some modules are compiled")


def test_a_module_compiled_by_an_earlier_install_runs_from_source(built: Path) -> None:
    (built / f"program{SUFFIX}").write_bytes(b"")
    assert compiled.problem(built) == "program was compiled by an earlier install"


def test_a_pure_install_runs_from_source_without_a_word(built: Path) -> None:
    for name in compiled.MODULES:
        (built / f"{name}{SUFFIX}").unlink()
    assert compiled.problem(built) == ""


def test_an_attempted_build_compiled_every_module() -> None:
    """An install that compiles writes the record first and names the library once every module is built.

    Without this a failed build would pass every other test here, only slower.
    """
    if not (PACKAGE / compiled.MANIFEST).exists():
        pytest.skip(f"installed without compiling ({compiled.PURE}=1 while installing, or no compiler tried)")
    if os.environ.get(compiled.PURE):
        pytest.skip(f"{compiled.PURE}=1: running from source on purpose")
    assert rules_engine.COMPILED, f"the install tried to compile but the engine runs from source: {compiled.problem(PACKAGE)}"


SAMPLES = sorted((ROOT / "rulebooks").glob("*.rules"))


@pytest.mark.parametrize("rulebook", SAMPLES, ids=[book.stem for book in SAMPLES])
@pytest.mark.parametrize("form", ["json", "table"])
def test_compiled_and_source_print_the_same_simulation(rulebook: Path, form: str) -> None:
    if not rules_engine.COMPILED:
        pytest.skip("the engine is not compiled here, so there is nothing to compare with the source")
    args = ["simulate", str(rulebook), str(rulebook.with_suffix(".jsonl"))] + (["--format", "json"] if form == "json" else [])
    compiled_run, source_run = (_loyalty(args, pure) for pure in (False, True))
    assert compiled_run == source_run


def _loyalty(args: list[str], pure: bool) -> str:
    env = {key: value for key, value in os.environ.items() if key != compiled.PURE}
    if pure:
        env[compiled.PURE] = "1"
    script = ("import sys, rules_engine; assert rules_engine.COMPILED == (sys.argv.pop(1) == 'compiled'); "
              "from rules_engine.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script, "source" if pure else "compiled", *args], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout
