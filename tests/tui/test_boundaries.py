"""The engine stands on its own: importing it never loads Textual or the studio."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = (
    "rules_engine.dsl.compiler", "rules_engine.engine", "rules_engine.simulation", "rules_engine.readers",
    "rules_engine.plugins.manager", "rules_engine.cli",
)


def test_importing_the_engine_loads_neither_textual_nor_the_studio() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'tui'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
