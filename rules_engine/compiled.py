"""Which of the engine's modules run compiled, and the check that they match their source.

Installing the package compiles the modules that every event passes through to C
with mypyc (setup.py; docs/performance.md, "The compiled engine"). A compiled
module shadows its `.py` file, so an edited source would silently run as the old
code. The build records what it compiled from: the digest of each compiled module
and of every module of the package they import (mypyc builds in the types it reads
there), whether the build completed, and the shared library that holds the code.
At import, if anything differs from that record, all compiled modules run from
source, with a warning saying how to rebuild. They load together or not at all,
since compiled modules call each other directly.

`LOYALTY_PURE_PYTHON=1` runs the source on purpose (to step through the engine in a
debugger, or profile it line by line) and, set while installing, skips compiling.
This module uses the standard library only: setup.py runs it before anything is
installed.
"""

from __future__ import annotations

import ast
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
MANIFEST = "compiled-sources.json"  # what a build compiled from (see `write_manifest`)
PURE = "LOYALTY_PURE_PYTHON"
LIBRARY = f"{PACKAGE}__mypyc"  # the module of the shared library, beside the package, that holds the compiled code


class StaleBuild(UserWarning):
    """The compiled modules do not match their source, so the source runs (slower) until they are rebuilt."""


def sources(directory: Path) -> list[str]:
    """The compiled modules and every module of the package they import, directly or not, as paths in it."""
    found: set[str] = set()
    todo = [f"{name}.py" for name in MODULES]
    while todo:
        path = todo.pop()
        if path in found or not (directory / path).exists():
            continue
        found.add(path)
        for node in ast.walk(ast.parse((directory / path).read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
                inner = node.module.split(".")[1:]
                todo += [_module_path(inner), *(_module_path([*inner, alias.name]) for alias in node.names)]
    return sorted(found)


def _module_path(parts: list[str]) -> str:
    return "/".join(parts) + ".py" if parts else "__init__.py"


def write_manifest(source: Path, target: Path, library: str | None) -> None:
    """Record the sources compiled from `source` into `target`, the library once the build is done (setup.py)."""
    record = {"library": library, "sources": {path: _digest(source / path) for path in sources(source)}}
    (target / MANIFEST).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def clean(target: Path) -> None:
    """Remove what an earlier build left in `target` (a package directory), ahead of a new one."""
    for path in [*extensions(target).values(), *extensions(target.parent, LIBRARY).values(), target / MANIFEST]:
        path.unlink(missing_ok=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        library, digests = recorded["library"], recorded["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"{MANIFEST}, which says what they were compiled from, is missing or unreadable"
    if library is None:
        return "the install that compiled them did not finish"
    if not (directory.parent / library).exists():
        return f"their shared library {library} is missing"
    changed = []
    for path, digest in digests.items():
        try:
            if _digest(directory / path) != digest:
                changed.append(path)
        except OSError:
            changed.append(path)
    if changed:
        return f"the source changed since it was compiled ({', '.join(changed)})"
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


def extensions(directory: Path, named: str | None = None) -> dict[str, Path]:
    """The compiled modules in `directory` (or only the one `named`), by module name."""
    found = {}
    for path in directory.iterdir() if directory.is_dir() else ():
        suffix = next((s for s in importlib.machinery.EXTENSION_SUFFIXES if path.name.endswith(s)), None)
        name = path.name.removesuffix(suffix) if suffix is not None else None
        if name is not None and "." not in name and named in (None, name):
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
