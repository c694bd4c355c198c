"""Which of the engine's modules run compiled, and the check that they match their source.

Installing the package compiles the modules that every event passes through to C
with mypyc (setup.py; docs/performance.md, "The compiled engine"). A compiled
module shadows its `.py` file, so an edited source would silently run as the old
code: at import, each compiled module's source is compared with the digest it was
compiled from, and if any differs (or is missing), all of them run from source,
with a warning saying how to rebuild. They load together or not at all, since
compiled modules call each other directly.

`LOYALTY_PURE_PYTHON=1` runs the source on purpose (to step through the engine in a
debugger, or profile it line by line) and, set while installing, skips compiling.
This module uses the standard library only: setup.py runs it before anything is
installed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Sequence

PACKAGE = "rules_engine"
# What every event passes through, with the simulation and report loops around it.
MODULES = ("events", "engine", "windows", "ledger", "member", "limits", "runtime", "calendars", "grouping", "simulation",
           "economics")
MANIFEST = "compiled-sources.json"  # module -> sha256 of the source it was compiled from
PURE = "LOYALTY_PURE_PYTHON"


class StaleBuild(UserWarning):
    """The compiled modules do not match their source, so the source runs (slower) until they are rebuilt."""


def digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest() for name in MODULES}


def write_manifest(directory: Path) -> None:
    """Record the sources about to be compiled (setup.py)."""
    (directory / MANIFEST).write_text(json.dumps(digests(directory), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def problem(directory: Path) -> str | None:
    """Why the compiled modules in `directory` must not run, or None when they may; '' when there are none."""
    built = extensions(directory)
    if not built:
        return ""  # a pure install: nothing to say
    if built.keys() - set(MODULES):
        return f"{', '.join(sorted(built.keys() - set(MODULES)))} was compiled by an earlier install"
    if len(built) < len(MODULES):
        return f"only some modules are compiled ({', '.join(sorted(built))})"
    try:
        recorded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{MANIFEST}, which says what they were compiled from, is missing or unreadable"
    changed = [name for name, digest in digests(directory).items() if recorded.get(name) != digest]
    if changed:
        return f"the source changed since it was compiled ({', '.join(f'{name}.py' for name in changed)})"
    return None


def choose(directory: Path) -> bool:
    """Run the compiled modules if they may run; otherwise make every one of them load from its source."""
    reason = "" if os.environ.get(PURE) else problem(directory)
    if reason is None:
        return True
    if reason:
        warnings.warn(f"the compiled engine is not used, as {reason}: it runs from source, slower, until it is "
                      f"rebuilt (pip install -e . in the project, or set {PURE}=1 to run from source on purpose)",
                      StaleBuild, stacklevel=3)
    built = extensions(directory)
    if built:
        sys.meta_path.insert(0, _FromSource(directory, frozenset(built)))
    return False


def extensions(directory: Path) -> dict[str, Path]:
    """The compiled modules in `directory`, by module name (the package compiles no others)."""
    found = {}
    for path in directory.iterdir():
        suffix = next((s for s in importlib.machinery.EXTENSION_SUFFIXES if path.name.endswith(s)), None)
        if suffix is not None and "." not in (name := path.name.removesuffix(suffix)):
            found[name] = path
    return found


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' `.py` files ahead of their extensions."""

    def __init__(self, directory: Path, names: frozenset[str]) -> None:
        self.directory = directory
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, self.directory / f"{name}.py")
