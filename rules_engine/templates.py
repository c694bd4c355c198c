"""The wording of an earning's parts, which also names the rule each part speaks for; text in a template.

Its own module because it is a subclass of `str`: the engine's compiled modules
(docs/performance.md, "The compiled engine") cannot define one, and this one is
built only when a rulebook is compiled, never per event.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal


class Template(str):
    """The wording of one part of an earning.

    Reports split an earning's points by rule (the "points per rule" of a simulation).
    Reading that back out of the worded reasons broke on labels with spaces and on
    factors shown rounded, so the parts carry it: `rule` is the label, `part` what the
    rule did (`earn`: gave the first figure's points; `bonus`: multiplied by `factor`;
    `cap`: cut the sum), and the text stays the template that words the reason.
    """

    rule: str
    part: Literal["earn", "bonus", "cap"]
    factor: Fraction

    def __new__(cls, text: str, rule: str, part: Literal["earn", "bonus", "cap"],
                factor: Fraction = Fraction(1)) -> "Template":
        template = super().__new__(cls, text)
        template.rule, template.part, template.factor = rule, part, factor
        return template


def literal(text: str) -> str:
    """`text` inside a `str.format` template, standing for itself: a rule's label or condition may hold braces."""
    return text.replace("{", "{{").replace("}", "}}")
