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
import copy
from typing import Any, Callable, Iterator

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


def shared_reads(w: Writer, exprs: list[py.expr | None]) -> list[py.expr | None]:
    """`exprs` with each value that several of them read taken from a variable, which is set here, once.

    Only reads that cannot fail and change nothing are shared (see `_read`), so reading one ahead of
    conditions that may not get to it gives every condition the value it would have read itself. A
    purchase whose channel three rules test pays one lookup for it instead of three, and a tier ladder
    that tests `spend_365d` for two tiers reads the window once.
    """
    first: dict[str, py.expr] = {}
    count: dict[str, int] = {}
    for expr in exprs:
        for node in _reads(expr) if expr is not None else ():
            key = py.dump(node)
            first.setdefault(key, node)
            count[key] = count.get(key, 0) + 1
    names = {key: f"_read_{n}" for n, key in enumerate(key for key in first if count[key] > 1)}
    for key, name in names.items():
        w.line(f"{name} = {w.expr(copy.deepcopy(first[key]))}")
    shared = _Shared(names)
    return [shared.visit(copy.deepcopy(expr)) if expr is not None and names else expr for expr in exprs]


# What an event's context offers as plain values (`Context` in rules_engine/engine.py); its local time is worked
# out on demand, so it is not shared.
_EVENT_VALUES = frozenset({"amount", "first_purchase", "items", "fields", "at"})


def _read(node: py.AST) -> bool:
    """A read of the member or the event that cannot fail: an attribute of either, an event field or member
    attribute (`e.fields.get(key)`), a rolling window (`m.spend_windows[k]`)."""
    if isinstance(node, py.Attribute) and isinstance(node.value, py.Name):
        return node.value.id == "m" or (node.value.id == "e" and node.attr in _EVENT_VALUES)
    if isinstance(node, py.Subscript):
        window = node.value
        return (isinstance(node.slice, py.Constant) and isinstance(window, py.Attribute) and _read(window)
                and window.attr in ("spend_windows", "count_windows"))
    if isinstance(node, py.Call) and isinstance(node.func, py.Attribute) and node.func.attr == "get":
        mapping = node.func.value
        return (isinstance(mapping, py.Attribute) and isinstance(mapping.value, py.Name)
                and (mapping.value.id, mapping.attr) in (("e", "fields"), ("m", "attrs")))
    return False


def _reads(node: py.AST) -> Iterator[py.AST]:
    """The outermost reads in `node`: `m.spend_windows[0]` is one read, not also `m.spend_windows`."""
    if _read(node):
        yield node
        return
    for child in py.iter_child_nodes(node):
        yield from _reads(child)


class _Shared(py.NodeTransformer):
    """Each shared read becomes the name of the variable that holds it."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit(self, node: py.AST) -> Any:
        name = self.names.get(py.dump(node)) if _read(node) else None
        if name is None:
            return self.generic_visit(node)
        return py.copy_location(py.Name(id=name, ctx=py.Load()), node)


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
