"""Spec errors, located precisely enough to fix without searching."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SpecError(Exception):
    file: Path
    pointer: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.pointer}: {self.message}"
