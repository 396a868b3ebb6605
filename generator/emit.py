"""Stage 5: format with ruff, then write atomically or compare (drift check)."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def formatted(files: dict[str, str]) -> dict[str, str]:
    """Lint-fix (imports) and format every .py file with the project's pinned ruff config."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, text in files.items():
            (base / name).write_text(text, encoding="utf-8")
        python = [str(base / n) for n in files if n.endswith(".py")]
        config = ["--config", str(ROOT / "pyproject.toml")]
        subprocess.run(
            [*_ruff(), "check", "--fix-only", "--quiet", "--select", "F401,I,UP,RUF036", *config, *python],
            check=False,
            capture_output=True,
        )
        result = subprocess.run([*_ruff(), "format", "--quiet", *config, *python], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"ruff format failed on generated code:\n{result.stderr}")
        return {name: (base / name).read_text(encoding="utf-8") for name in files}


def write(files: dict[str, str], out: Path) -> None:
    """Replace `out` with exactly `files` (no stale leftovers), via a sibling temp dir.

    Raises OSError when `out` cannot be written; then `out` is as it was and nothing is left behind.
    """
    created = [parent for parent in (out.parent, *out.parent.parents) if not parent.exists()]
    staging: Path | None = None
    backup = out.with_name(out.name + ".old")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out.parent))
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if out.exists():
            out.rename(backup)
        try:
            staging.rename(out)
        except OSError:
            if backup.exists():
                backup.rename(out)
            raise
    except OSError:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for parent in created:  # innermost first
            try:
                parent.rmdir()
            except OSError:
                break
        raise
    shutil.rmtree(backup, ignore_errors=True)


def diff(files: dict[str, str], out: Path) -> str:
    """Unified diff between `files` and the tree at `out` ('' when identical)."""
    chunks: list[str] = []
    existing = {p.name for p in out.iterdir() if p.is_file()} if out.is_dir() else set()
    for name in sorted(existing | set(files)):
        old = (out / name).read_text(encoding="utf-8") if name in existing else ""
        new = files.get(name, "")
        if old != new:
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
                )
            )
    return "".join(chunks)
