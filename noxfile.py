"""Task runner. Every session builds its own virtualenv from this repo's pyproject.toml.

nox -s demo        run the demo against the embedded local exchange
nox -s tests       drift check + lint + type check + the whole test suite (what CI runs)
nox -s generate    regenerate generated/ from spec/
nox -s api_diff    public API change between HEAD's spec and the working tree's spec
nox -s bench       benchmarks: this SDK vs raw httpx-ws, websockets and other SDKs
nox -s build       sdist + wheel + twine check, then a smoke test of the wheel
nox -s docs        the documentation site with the API reference (mkdocs + mkdocstrings)
nox -s release     upload dist/ to PyPI (TWINE_PASSWORD=<token>; not run by CI)
nox -s compat-3.X  the test suite on another Python (run after `tests` automatically)
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

# Interpreters installed with pyenv are not on PATH unless selected: let nox find them.
for _bin in sorted(Path.home().glob(".pyenv/versions/3.1[0-9]*/bin")):
    os.environ["PATH"] = f"{os.environ.get('PATH', '')}{os.pathsep}{_bin}"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

DEV = ["-e", ".[generator,dev]"]
COMPAT = ["3.10", "3.12", "3.13"]  # besides PYTHON; a missing interpreter is skipped


@nox.session
def demo(session: nox.Session) -> None:
    """Start the local exchange, connect, call market data and signed trading methods."""
    session.install("-e", ".")
    session.run("python", "examples/demo.py")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from spec/ (`nox -s generate -- --check` only compares)."""
    session.install(*DEV)
    session.run("python", "-m", "generator", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*DEV)
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("mypy", "runtime/binance_ws", "generated/binance_spot_ws", "emulator/binance_ws_emulator", "generator")


@nox.session
def tests(session: nox.Session) -> None:
    """What CI runs: the generated code is fresh, lint and types are clean, docs build, all tests pass."""
    session.install("-e", ".[generator,dev,docs]")
    session.run("python", "-m", "generator", "--check")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("mypy", "runtime/binance_ws", "generated/binance_spot_ws", "emulator/binance_ws_emulator", "generator")
    session.run("mkdocs", "build", "--strict", "--quiet", "--site-dir", session.create_tmp() + "/site")
    session.run("pytest", "-q", *session.posargs)
    for version in COMPAT:
        session.notify(f"compat-{version}")
    session.notify("build")  # the wheel, installed alone in a fresh venv, must work too


@nox.session(python=COMPAT)
def compat(session: nox.Session) -> None:
    """The test suite on the other supported Pythons (skipped where an interpreter is missing)."""
    session.install(*DEV)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (API reference from the docstrings) into site/, offline."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def api_diff(session: nox.Session) -> None:
    """Print methods and parameters added, removed or changed vs a git ref (default HEAD)."""
    session.install(*DEV)
    ref = session.posargs[0] if session.posargs else "HEAD"
    session.run("python", "scripts/api_diff.py", ref)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against a local responder; other SDKs are installed here only."""
    session.install("-e", ".[generator,fast]", "binance-sdk-spot", "python-binance", "matplotlib")
    session.run("python", "bench/run.py", *session.posargs)
    session.run("python", "bench/streams.py", *session.posargs)  # market-data streams


SMOKE = """
import asyncio
from decimal import Decimal
from binance_spot_ws import AsyncClient, Client, HmacKey
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

async def main():
    async with Emulator() as exchange, AsyncClient(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as client:
        order = await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"))
        assert order.status == "FILLED", order
        print("wheel OK:", order.order_id, order.status)

asyncio.run(main())
"""


@nox.session
def build(session: nox.Session) -> None:
    """Build sdist + wheel, check metadata, then install the wheel alone in a fresh venv and use it."""
    session.install("build", "twine")
    session.run("python", "-c", "import shutil; shutil.rmtree('dist', ignore_errors=True)")
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", "--strict", "dist/*")
    tmp = session.create_tmp()
    session.run("python", "-m", "venv", f"{tmp}/wheel-venv")
    python = f"{tmp}/wheel-venv/bin/python"
    wheel = next(__import__("pathlib").Path("dist").glob("*.whl"))
    session.run(python, "-m", "pip", "install", "-q", str(wheel), external=True)
    session.run(python, "-c", SMOKE, external=True)
    session.run(f"{tmp}/wheel-venv/bin/binance-ws", "methods", "time", external=True)


@nox.session
def release(session: nox.Session) -> None:
    """Publish dist/ to PyPI with a token from TWINE_PASSWORD (run `nox -s build` first). Not run in CI."""
    session.install("twine")
    session.run("twine", "upload", "--non-interactive", "-u", "__token__", "dist/*")
