"""Task runner. Every session builds its own virtualenv from this repo's pyproject.toml.

nox -s demo        run the demo against the embedded local exchange
nox -s tests       drift check + lint + type check + the whole test suite (what CI runs)
nox -s generate    regenerate generated/ from spec/
nox -s api_diff    public API change between HEAD's spec and the working tree's spec
nox -s conformance  binance-sdk-spot, python-binance, ccxt and this SDK against the local exchange
nox -s bench       benchmarks: this SDK vs the picows + msgspec floor, raw httpx-ws/websockets, other SDKs
nox -s build       sdist + wheel + twine check, a smoke test of the wheel, the test suite from the sdist
nox -s api_break   public-API breaks (griffe) of the three packages vs a git ref (default: the newest tag)
nox -s changelog   preview the next release notes from changes/ (`-- --version X.Y.Z` writes CHANGELOG.md)
nox -s docs        the documentation site with the API reference (mkdocs + mkdocstrings)
nox -s release     upload dist/ to PyPI (TWINE_PASSWORD=<token>; not run by CI)
nox -s soak        chaos soak against the local exchange, a few minutes (`-- --seconds 60`); not run by CI
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
    session.run("pyright", "-p", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """What CI runs: the generated code is fresh, lint and types are clean, docs build, all tests pass."""
    session.install("-e", ".[generator,dev,docs]")
    session.run("python", "-m", "generator", "--check")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("mypy", "runtime/binance_ws", "generated/binance_spot_ws", "emulator/binance_ws_emulator", "generator")
    # strict ([tool.pyright]): the runtime, the generated package and tests/typing; `-p .` so that
    # this project's configuration is read, never a pyrightconfig.json found in a parent directory
    session.run("pyright", "-p", ".")
    session.run("mkdocs", "build", "--strict", "--quiet", "--site-dir", session.create_tmp() + "/site")
    session.run("pytest", "-q", *session.posargs)
    for version in COMPAT:
        session.notify(f"compat-{version}")
    session.notify("build")  # the wheel, installed alone in a fresh venv, must work too


@nox.session(python=COMPAT)
def compat(session: nox.Session) -> None:
    """The test suite on the other supported Pythons (skipped where an interpreter is missing)."""
    session.install(*DEV)
    session.run("pytest", "-q", "-n", "2", "-p", "no:cacheprovider", *session.posargs)  # two workers: CI has 2 cores


#: Independent clients the local exchange is verified against: installed in `conformance` only,
#: never a dependency of the SDK. Their versions are listed in the README's local-exchange section.
CONFORMANCE_CLIENTS = ["binance-sdk-spot>=13,<14", "python-binance>=1.0,<1.1", "ccxt>=4.5,<4.6"]


@nox.session
def conformance(session: nox.Session) -> None:
    """Every WebSocket API method of three independent clients, and of this SDK, against the local exchange."""
    session.install("-e", ".", "pytest>=8", "pytest-asyncio>=0.24", *CONFORMANCE_CLIENTS)
    versions = "import importlib.metadata as m; print(*(f'{p} {m.version(p)}' for p in ('binance-sdk-spot', 'python-binance', 'ccxt')), sep=', ')"
    session.run("python", "-c", versions)
    session.run("pytest", "-q", "conformance", *session.posargs)


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
    """Benchmarks against a local responder, as ratios to a picows + msgspec floor; other SDKs are installed here only."""
    session.install("-e", ".[generator,fast,picows]", "binance-sdk-spot", "python-binance", "matplotlib")
    session.run("python", "bench/run.py", *session.posargs)
    session.run("python", "bench/streams.py", *session.posargs)  # market-data streams


@nox.session
def soak(session: nox.Session) -> None:
    """Chaos soak on loopback: workers, faults and rotations, checked against the exchange's records."""
    session.install("-e", ".[fast,picows]")
    session.run("python", "soak/chaos.py", *session.posargs)


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
    tmp = str(Path(session.create_tmp()).resolve())
    session.run("python", "-m", "venv", f"{tmp}/wheel-venv")
    python = f"{tmp}/wheel-venv/bin/python"
    wheel = next(Path("dist").glob("*.whl"))
    session.run(python, "-m", "pip", "install", "-q", str(wheel), external=True)
    session.run(python, "-c", SMOKE, external=True)
    session.run(f"{tmp}/wheel-venv/bin/binance-ws", "methods", "time", external=True)
    # The sdist is complete: unpacked alone, its own test suite passes.
    sdist = next(Path("dist").glob("*.tar.gz"))
    session.run("python", "-c", f"import tarfile; tarfile.open({str(sdist)!r}).extractall({tmp!r}, filter='data')")
    unpacked = Path(tmp) / sdist.name.removesuffix(".tar.gz")
    session.run("python", "-m", "venv", f"{tmp}/sdist-venv")
    sdist_python = f"{tmp}/sdist-venv/bin/python"
    session.run(sdist_python, "-m", "pip", "install", "-q", f"{unpacked}[generator,dev]", external=True)
    with session.chdir(unpacked):
        session.run(sdist_python, "-m", "generator", "--check", external=True)
        session.run(sdist_python, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", external=True)


PACKAGES = {"binance_spot_ws": ["generated", "runtime"], "binance_ws": ["runtime"], "binance_ws_emulator": ["emulator"]}


def _newest_tag(session: nox.Session) -> str:
    tag = session.run("git", "describe", "--tags", "--abbrev=0", external=True, silent=True, success_codes=[0, 128])
    return str(tag).strip() if tag and "fatal" not in str(tag) else "HEAD"


@nox.session
def api_break(session: nox.Session) -> None:
    """Public-API breaks of the three packages against a git ref (default: the newest tag, else HEAD)."""
    _check_api(session, session.posargs[0] if session.posargs else _newest_tag(session))


def _check_api(session: nox.Session, ref: str) -> None:
    session.install("griffe>=1")
    for package, paths in PACKAGES.items():
        search = [arg for path in paths for arg in ("-s", path)]
        session.run("griffe", "check", package, *search, "-a", ref, "--verbose")


@nox.session
def changelog(session: nox.Session) -> None:
    """Preview the next release notes; `-- --version X.Y.Z` writes them into CHANGELOG.md."""
    session.install("towncrier>=24")
    if session.posargs:
        session.run("towncrier", "build", "--yes", *session.posargs)
    else:
        session.run("towncrier", "build", "--draft", "--version", "next")


@nox.session
def release(session: nox.Session) -> None:
    """Publish dist/ to PyPI with a token from TWINE_PASSWORD (run `nox -s build` first). Not run in CI.

    Refuses when the public API broke since the newest tag (run `nox -s api_break` to see how);
    `nox -s release -- --allow-breaks` after a deliberate, changelogged break.
    """
    if "--allow-breaks" not in session.posargs:
        _check_api(session, _newest_tag(session))
    session.install("twine")
    session.run("twine", "upload", "--non-interactive", "-u", "__token__", "dist/*")
