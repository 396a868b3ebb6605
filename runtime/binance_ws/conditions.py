"""Parameters that one parameter's value makes required or forbidden (spec `x-require-if`).

`order.place(type="LIMIT")` needs `time_in_force`, `price` and `quantity`; a `MARKET` order
takes no `trailing_delta`. The generated method tables list the rules as `RequireIf`s; a
`Method` merges them into one `Case` per (parameter, value); `wire.checked_params` looks the
case up by the value sent and checks the names given (remembering the shapes that passed, so
the per-request cost stays a few lookups). A request that fails reads the rules again, to
name the parameter and the condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ParamError


@dataclass(frozen=True, slots=True)
class RequireIf:
    """One `x-require-if` rule: when `param` (a wire name) has one of `values`, every entry
    of `require` must be given (an entry of several names: at least one of them) and none
    of `forbid`."""

    param: str
    values: tuple[Any, ...]
    require: tuple[tuple[str, ...], ...] = ()
    forbid: tuple[str, ...] = ()


class Case:
    """What the rules ask when one parameter has one value, merged over the rules.

    `passed` remembers the sets of given names (as the tuple `wire.checked_params` builds)
    that satisfied the rules: a program sends a few shapes of request again and again, so
    a request that passes costs a tuple and a set lookup.
    """

    __slots__ = ("forbidden", "groups", "passed", "required", "rules")

    #: At most this many remembered shapes per case (then checks run every time).
    MAX_PASSED = 256

    def __init__(self, rules: Sequence[RequireIf]) -> None:
        self.rules = tuple(rules)
        groups = [group for rule in rules for group in rule.require]
        #: Names that must all be given.
        self.required = frozenset(group[0] for group in groups if len(group) == 1)
        #: Name sets of which at least one must be given.
        self.groups = tuple(dict.fromkeys(frozenset(group) for group in groups if len(group) > 1))
        #: Names that must not be given.
        self.forbidden = frozenset(name for rule in rules for name in rule.forbid)
        self.passed: set[tuple[str, ...]] = set()

    def check(
        self, wire: str, wire_to_python: Mapping[str, str], param: str, given: Mapping[str, Any], names: tuple[str, ...]
    ) -> None:
        """Raise the ParamError for the first rule `given` breaks; else remember `names` as passing."""
        present = set(names)
        if present >= self.required and present.isdisjoint(self.forbidden) and all(present & g for g in self.groups):
            if len(self.passed) < self.MAX_PASSED:
                self.passed.add(names)
            return
        raise violation(wire, wire_to_python, param, self, given)


#: Per parameter that decides (wire name), its value -> the Case.
Conditions = tuple[tuple[str, dict[Any, Case]], ...]


def compile_conditions(rules: Sequence[RequireIf]) -> Conditions:
    """Group the rules by parameter and value, in the order the spec gives them."""
    by_param: dict[str, dict[Any, list[RequireIf]]] = {}
    for rule in rules:
        per_value = by_param.setdefault(rule.param, {})
        for value in rule.values:
            per_value.setdefault(value, []).append(rule)
    return tuple((param, {value: Case(found) for value, found in cases.items()}) for param, cases in by_param.items())


def violation(
    wire: str, wire_to_python: Mapping[str, str], param: str, case: Case, given: Mapping[str, Any]
) -> ParamError:
    """The ParamError for the first rule of `case` that `given` (wire name -> value) breaks."""

    def python(name: str) -> str:
        return wire_to_python.get(name, name)

    condition = f"when {python(param)} is {given[param]!r}"
    for rule in case.rules:
        for group in rule.require:
            if not any(name in given for name in group):
                if len(group) == 1:
                    return ParamError(wire, python(group[0]), f"required {condition}")
                names = " or ".join(python(name) for name in group)
                return ParamError(wire, names, f"one of these parameters is required {condition}")
        for name in rule.forbid:
            if name in given:
                return ParamError(wire, python(name), f"not allowed {condition}")
    return ParamError(wire, python(param), f"the other parameters do not fit {condition}")  # (not reached)
