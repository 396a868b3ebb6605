"""Whatever one node of a valid spec is replaced with, the generator answers with a located SpecError or works.

Each node of the golden specs in turn is given a wrong value (a word, a negative number, null, an
empty or non-empty list or mapping) or removed. No mutation may end in any other exception (the
tracebacks of issue 14 item 22), and every SpecError carries a line.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import ir, load
from generator.errors import SpecError

GOLDEN = Path(__file__).parent / "golden"
WRONG: list[Any] = ["lots", -1, None, [], {}, True, [1], {"a": 1}]
REMOVE = object()


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


@pytest.mark.parametrize("case", ["mini", "v3"])
def test_no_mutation_of_a_spec_ends_in_a_traceback(case: str) -> None:
    document = load.document(GOLDEN / case / "spec.yaml")
    crashes: list[str] = []
    rejected = 0
    for path in list(_paths(document.root))[1:]:
        for wrong in [*WRONG, REMOVE] if isinstance(path[-1], str) else WRONG:
            root = copy.deepcopy(document.root)
            parent = root
            for part in path[:-1]:
                parent = parent[part]
            if wrong is REMOVE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(wrong)
            try:
                ir.build(load.Document(document.file, root, document.lines))
            except SpecError as error:
                rejected += 1
                if error.line is None:
                    crashes.append(f"{'/'.join(map(str, path))} = {wrong!r}: no line in {error}")
            except Exception as error:  # the point: nothing but SpecError
                crashes.append(f"{'/'.join(map(str, path))} = {wrong!r}: {type(error).__name__}: {error}")
    assert not crashes, "\n".join(crashes[:30])
    assert rejected > 500  # the mutations mostly break the spec: they were really checked
