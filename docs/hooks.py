"""mkdocs hook: one reference page per group of methods, made from the generated package at build time.

The pages list the methods of `AsyncClient` (the blocking `Client` has the same ones) in the
groups of Binance's docs, so every method is in the navigation without a hand-kept list that
could drift from the spec. The group follows from a method's wire name and security type.
"""

from __future__ import annotations

import inspect
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

GROUPS = ("General", "Market data", "Session", "Trading", "Account", "User-data stream")
_GENERAL = frozenset({"ping", "time", "exchangeInfo", "executionRules"})


def _group(wire: str, security: str) -> str:
    if wire.startswith("session."):
        return "Session"
    if wire.startswith("userDataStream."):
        return "User-data stream"
    if wire in _GENERAL:
        return "General"
    if security == "NONE":
        return "Market data"
    return "Trading" if security == "TRADE" else "Account"


def _slug(group: str) -> str:
    return group.lower().replace(" ", "-")


def _pages() -> dict[str, list[str]]:
    """Group -> Python names, in the spec's order; each method's docstring names its wire method."""
    from binance_spot_ws import METHODS, AsyncClient

    python = {}
    for name, member in vars(AsyncClient).items():
        doc = inspect.getdoc(member) or ""
        for wire in METHODS:
            if f"`{wire}` · security" in doc:
                python[wire] = name
    missing = sorted(set(METHODS) - set(python))
    if missing:
        raise RuntimeError(f"no AsyncClient method documents {missing}")
    pages: dict[str, list[str]] = {group: [] for group in GROUPS}
    for wire, method in METHODS.items():
        pages[_group(wire, method.security.value)].append(python[wire])
    return pages


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    methods = [{group: f"reference/methods/{_slug(group)}.md"} for group in GROUPS]
    for entry in config.nav or []:
        if isinstance(entry, dict) and "API reference" in entry:
            entry["API reference"].insert(0, {"Methods": methods})
    return config


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    for group, names in _pages().items():
        members = "\n".join(f"        - {name}" for name in names)
        content = (
            f"# {group}\n\n"
            "Every method is on both clients: `await client.name(...)` on `AsyncClient`, "
            "`client.name(...)` on the blocking `Client`. Parameters are keyword-only and "
            "checked before anything is sent.\n\n"
            "::: binance_spot_ws.AsyncClient\n"
            "    options:\n"
            "      show_root_heading: false\n"
            "      show_root_toc_entry: false\n"
            "      show_bases: false\n"
            "      members:\n"
            f"{members}\n"
        )
        files.append(File.generated(config, f"reference/methods/{_slug(group)}.md", content=content))
    return files
