"""Python functions written for one rulebook: fixed fragments of our own, with the rulebook's checked expressions.

The compiler turns each condition into a Python expression tree (`compiler._ExprCompiler`);
where a step of the engine is better run as one function with all its rules inline
(a trigger's earnings, the tier ladder), its text is written here from fragments that
name values by placeholders, parsed, and the expression trees are put where their
placeholders stand. Nothing a designer wrote (labels, numbers, texts, periods) is ever
part of the text: it enters as a constant of the function's namespace, or as a
literal node of the tree.
"""

from __future__ import annotations

import ast as py
from typing import Any, Callable

from rules_engine import runtime


class Writer:
    """Lines of functions, with placeholders for the rulebook's expressions and constants."""

    def __init__(self, constants: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.indent = 0
        self.constants = constants
        self.exprs: dict[str, py.expr] = {}
        self.names: list[str] = []

    def function(self, name: str, params: str) -> None:
        """Start the next function; the lines that follow are its body."""
        self.indent = 0
        self.names.append(name)
        self.lines.append(f"def {name}({params}):")

    def line(self, text: str) -> None:
        self.lines.append("    " * (self.indent + 1) + text)

    def const(self, value: Any) -> str:
        """A placeholder for a value of the rulebook, read from the namespace."""
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def number(self, value: int) -> str:
        """A whole number, as a literal of the function (faster to read than a name)."""
        return self.expr(py.Constant(value))

    def expr(self, node: py.expr) -> str:
        """A placeholder for a checked expression, put into the tree in its place."""
        name = f"_x{len(self.exprs)}"
        self.exprs[name] = node
        return name

    def compile(self, filename: str, helpers: dict[str, Any]) -> dict[str, Callable[..., Any]]:
        """The functions written so far, by name; `helpers` join the namespace."""
        tree = _Substitute(self.exprs).visit(py.parse("\n".join(self.lines) + "\n"))
        namespace = globals_of(runtime.HELPERS, self.constants, helpers, {"_EvaluationError": runtime.EvaluationError})
        exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 - our own text, see the module docstring
        return {name: namespace[name] for name in self.names}


def globals_of(*parts: dict[str, Any]) -> dict[str, Any]:
    """The namespace compiled rulebook code runs in, built name by name.

    Python makes a read of a global fast (it specialises `LOAD_GLOBAL` to a cached slot) only in a
    dictionary whose table is marked as holding text keys alone. A dictionary built at its full size
    at once, as the compiled engine builds `runtime.HELPERS`, carries no such mark, and one unpacked
    from it (`{**HELPERS, ...}`) copies its table and the lack of it: every read of a rule's constant
    was then a full lookup, a twentieth of a purchase's time. Inserted one by one, keys keep the mark.
    """
    namespace: dict[str, Any] = {}
    for part in parts:
        for name, value in part.items():
            namespace[name] = value
    return namespace


class _Substitute(py.NodeTransformer):
    """Puts each rulebook expression where its placeholder name stands."""

    def __init__(self, exprs: dict[str, py.expr]) -> None:
        self.exprs = exprs

    def visit_Name(self, node: py.Name) -> py.expr:
        expr = self.exprs.get(node.id)
        if expr is None:
            return node
        # at the placeholder's place in the text, so that a traceback points into the right rule's code
        return py.fix_missing_locations(py.copy_location(expr, node))
