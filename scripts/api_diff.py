"""Print the public API change between the spec at a git ref and the working tree's spec.

    python scripts/api_diff.py [REF]      (nox -s api_diff -- REF)

Compares the generator's IR (methods, parameters, types), not the code, so the
output is a changelog entry: added/removed methods and parameters, changed types.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.__main__ import SPEC, api_json  # noqa: E402


def diff(old: dict[str, dict], new: dict[str, dict]) -> list[str]:  # type: ignore[type-arg]
    lines: list[str] = []
    for wire in sorted(new.keys() - old.keys()):
        lines.append(f"+ {_kind(wire)} ({new[wire]['python']})")
    for wire in sorted(old.keys() - new.keys()):
        lines.append(f"- {_kind(wire)} ({old[wire]['python']})")
    for wire in sorted(old.keys() & new.keys()):
        before, after = old[wire], new[wire]
        for name in sorted(after["params"].keys() - before["params"].keys()):
            lines.append(f"+ {wire}: parameter {name}: {after['params'][name]['type']}")
        for name in sorted(before["params"].keys() - after["params"].keys()):
            lines.append(f"- {wire}: parameter {name}")
        for name in sorted(before["params"].keys() & after["params"].keys()):
            if before["params"][name] != after["params"][name]:
                lines.append(f"~ {wire}: parameter {name}: {before['params'][name]} -> {after['params'][name]}")
        for key in ("result", "security", "deprecated"):
            if before[key] != after[key]:
                lines.append(f"~ {wire}: {key}: {before[key]} -> {after[key]}")
    return lines


def _kind(key: str) -> str:
    """`method depth`, or `stream {symbol}@trade` (streams are keyed so in api_json)."""
    return key if key.startswith("stream ") else f"method {key}"


def main() -> int:
    ref = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    relative = SPEC.relative_to(ROOT).as_posix()
    old_text = subprocess.run(["git", "show", f"{ref}:{relative}"], cwd=ROOT, capture_output=True, text=True)
    if old_text.returncode != 0:
        print(f"no spec at {ref}: everything is new")
        old: dict[str, dict] = {}  # type: ignore[type-arg]
    else:
        with tempfile.TemporaryDirectory() as folder:
            old_spec = Path(folder) / SPEC.name
            old_spec.write_text(old_text.stdout)
            # The streams document it names (x-streams, next to it), as it was at that ref too.
            named = re.search(r"^x-streams:\s*(\S+)", old_text.stdout, re.MULTILINE)
            if named:
                streams = f"{SPEC.parent.relative_to(ROOT).as_posix()}/{named.group(1)}"
                shown = subprocess.run(["git", "show", f"{ref}:{streams}"], cwd=ROOT, capture_output=True, text=True)
                (Path(folder) / named.group(1)).write_text(shown.stdout if shown.returncode == 0 else "{}")
            old = api_json(old_spec)
    changes = diff(old, api_json(SPEC))
    print("\n".join(changes) if changes else f"no public API change since {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
