"""The `binance-ws` command line: call any method, list methods, run the local exchange, watch user data.

The generated package supplies the method table and the client class (its `_cli.py`
is generated from the spec); this module holds the parsing and printing.

Exit codes: 0 success, 1 usage error or bad argument (nothing sent), 2 the server
rejected the request, 3 transport failure or timeout, 4 execution status unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import enum
import os
import sys
import typing
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NoReturn, cast

import msgspec

from ._async import PRODUCTION, TESTNET, AsyncConnection
from ._version import __version__
from .errors import ApiError, BinanceError, ParamError, TransportError, UnknownExecutionStatus
from .events import StreamGap
from .method import Method
from .signing import Ed25519Key, HmacKey, Signer, key_from_env, key_from_pem

EXIT_OK, EXIT_USAGE, EXIT_API, EXIT_TRANSPORT, EXIT_UNKNOWN = 0, 1, 2, 3, 4
_ENCODER = msgspec.json.Encoder()


class UsageError(Exception):
    """The command line itself is wrong (exit 1, nothing sent)."""


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors exit 1: exit 2 means the server rejected the request."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser(prog: str, version: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Binance Spot WebSocket API from the shell.")
    parser.add_argument("--version", action="version", version=version)
    sub = parser.add_subparsers(dest="command", required=True)

    def connection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", help=f"endpoint (default {PRODUCTION})")
        where = p.add_mutually_exclusive_group()
        where.add_argument("--testnet", action="store_true", help="use the spec's testnet server")
        where.add_argument("--demo", action="store_true", help="use the spec's demo-mode server")
        p.add_argument("--api-key", help="API key (or BINANCE_API_KEY)")
        p.add_argument("--key-file", help="PEM private key (RSA or Ed25519)")
        p.add_argument("--key-passphrase-env", help="environment variable holding the PEM passphrase")
        p.add_argument("--secret-env", help="environment variable holding an HMAC secret")
        p.add_argument(
            "--env",
            metavar="PREFIX",
            help="load the key from PREFIX_API_KEY, PREFIX_API_SECRET / PREFIX_PRIVATE_KEY_PATH ...",
        )
        p.add_argument("--timeout", type=float, default=10.0)
        p.add_argument("--pretty", action="store_true", help="indented JSON output")

    call = sub.add_parser("call", help="call one method: binance-ws call depth symbol=BTCUSDT limit=5")
    call.add_argument("method", help="wire name (order.place) or Python name (order_place)")
    call.add_argument(
        "params", nargs="*", metavar="name=value", help="wire or Python parameter names; lists comma-separated"
    )
    call.add_argument("--logon", action="store_true", help="session.logon first (Ed25519 keys)")
    connection(call)
    methods = sub.add_parser("methods", help="list methods and their parameters")
    methods.add_argument("filter", nargs="?", default="", help="only methods containing this text")
    emulator = sub.add_parser("emulator", help="run the local exchange")
    emulator.add_argument("--port", type=int, default=0)
    emulator.add_argument("--seed", type=int, default=1)
    emulator.add_argument("--ticker", type=float, metavar="SECONDS", help="move the market by itself every SECONDS")
    emulator.add_argument("--tls", action="store_true", help="serve wss:// with a throwaway certificate")
    emulator.add_argument("--ed25519", metavar="PEM", help="register (or make, if absent) this Ed25519 key")
    watch = sub.add_parser(
        "watch",
        help="subscribe to the user-data stream and print its events until Ctrl-C "
        "(HMAC/RSA: userDataStream.subscribe.signature; Ed25519: session.logon + userDataStream.subscribe)",
    )
    connection(watch)
    return parser


def _key(args: argparse.Namespace) -> Signer | None:
    if args.env:
        return key_from_env(args.env)
    api_key = args.api_key or os.environ.get("BINANCE_API_KEY")
    if args.key_file:
        password = os.environ.get(args.key_passphrase_env) if args.key_passphrase_env else None
        with open(args.key_file, "rb") as handle:
            return key_from_pem(handle.read(), api_key=api_key or "", password=password)
    if args.secret_env:
        secret = os.environ.get(args.secret_env)
        if not secret:
            raise UsageError(f"--secret-env {args.secret_env}: that environment variable is not set")
        return HmacKey(api_key or "", secret)
    return None


def _closest(name: str, names: Iterable[str]) -> str:
    found = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _choices(annotation: Any) -> list[str]:
    """The values an enum-typed parameter accepts (Enum members and Literal strings), in order."""
    found: list[str] = []
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found += [str(member.value) for member in annotation]
    elif typing.get_origin(annotation) is typing.Literal:
        found += [str(value) for value in typing.get_args(annotation)]
    elif typing.get_origin(annotation) is not list:  # a list's items are checked by the client
        for argument in typing.get_args(annotation):
            found += [value for value in _choices(argument) if value not in found]
    return found


def _method(methods: Mapping[str, Method[Any, Any]], name: str) -> Method[Any, Any]:
    by_python = {wire.replace(".", "_").lower(): wire for wire in methods}
    wire = name if name in methods else by_python.get(name.lower())
    if wire is None:
        hint = _closest(name, [*methods, *by_python])
        raise UsageError(f"unknown method {name!r}{hint}; see `binance-ws methods`")
    return methods[wire]


def _params(method: Method[Any, Any], pairs: Sequence[str]) -> dict[str, Any]:
    fields = {f.encode_name: f for f in (msgspec.structs.fields(method.params) if method.params else ())}
    python_to_wire = {python: wire for wire, python in method.wire_to_python.items()}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ParamError(method.wire, pair, "expected name=value")
        wire = python_to_wire.get(name, name)
        if method.params is not None and wire not in fields:
            known = [*fields, *python_to_wire]
            listed = ", ".join(fields) or "none"
            raise ParamError(method.wire, name, f"unknown parameter{_closest(name, known)}; parameters: {listed}")
        annotation = fields[wire].type if wire in fields else Any
        if "list" in str(annotation):
            out[wire] = value.split(",")
            continue
        choices = _choices(annotation)
        if choices and value not in choices:
            raise ParamError(
                method.wire, name, f"{value!r} is not one of {', '.join(choices)}{_closest(value, choices)}"
            )
        out[wire] = value
    return out


def _plain(value: Any) -> Any:
    """Builtins for printing: Decimals as exact strings in plain notation (never `0E-8`), floats as strings too."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in cast("dict[str, Any]", value).items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in cast("list[Any]", value)]
    return value


def _print(value: Any, *, pretty: bool = False) -> None:
    data = _ENCODER.encode(_plain(msgspec.to_builtins(value, builtin_types=(Decimal,))))
    if pretty:
        data = msgspec.json.format(data, indent=2)
    sys.stdout.write(data.decode() + "\n")
    sys.stdout.flush()


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    name = "testnet" if args.testnet else "demo" if args.demo else "production"
    servers: Mapping[str, str] = args.servers
    default = {"testnet": TESTNET, "production": PRODUCTION}.get(name)
    url = servers.get(name, default)
    if url is None:
        raise UsageError(f"this spec names no {name} server; pass --url")
    return url


async def _call(
    client_class: type[AsyncConnection[Any]], methods: Mapping[str, Method[Any, Any]], args: argparse.Namespace
) -> int:
    method = _method(methods, args.method)
    params = _params(method, args.params)
    key = _key(args)
    if args.logon and not isinstance(key, Ed25519Key):
        raise UsageError(
            "--logon needs an Ed25519 key (session.logon accepts no other); signed calls sign each request"
        )
    async with client_class(url=_url(args), key=key, timeout=args.timeout) as client:
        if args.logon:
            await client._request(_method(methods, "session.logon"), {})  # pyright: ignore[reportPrivateUsage]
        _print(await client._request(method, params), pretty=args.pretty)  # pyright: ignore[reportPrivateUsage]
    return EXIT_OK


async def _watch(
    client_class: type[AsyncConnection[Any]], methods: Mapping[str, Method[Any, Any]], args: argparse.Namespace
) -> int:
    key = _key(args)
    if key is None:
        raise UsageError("watch needs an API key: --env PREFIX, --key-file or --secret-env")
    if isinstance(key, Ed25519Key):  # log the connection on once, then subscribe it
        steps = [_method(methods, "session.logon"), _method(methods, "userDataStream.subscribe")]
    else:  # session.logon takes only Ed25519 keys: HMAC and RSA subscribe with a signed request
        steps = [_method(methods, "userDataStream.subscribe.signature")]
    async with client_class(url=_url(args), key=key, timeout=args.timeout) as client:
        answer: Any = None
        for step in steps:
            answer = await client._request(step, {})  # pyright: ignore[reportPrivateUsage]
        subscription = getattr(answer, "subscription_id", None)
        print(f"# subscribed ({', '.join(s.wire for s in steps)}; subscription {subscription})", file=sys.stderr)
        sys.stderr.flush()
        async for event in client.user_data():
            if isinstance(event, StreamGap):
                print(f"# gap: {event.reason} (re-query balances and open orders)", file=sys.stderr)
            else:
                _print(event, pretty=args.pretty)
    return EXIT_OK


def _list(methods: Mapping[str, Method[Any, Any]], needle: str) -> int:
    for wire, method in methods.items():
        if needle and needle not in wire:
            continue
        fields = msgspec.structs.fields(method.params) if method.params else ()
        params = " ".join(f"{f.encode_name}" if f.required else f"[{f.encode_name}]" for f in fields)
        flags = "" if method.retry_safe else "  (changes state)"
        print(f"{wire:34} {method.security.value:11} weight {method.weight.base:<3} {params}{flags}")
    return EXIT_OK


def run(
    argv: Sequence[str] | None,
    *,
    client_class: type[AsyncConnection[Any]],
    methods: Mapping[str, Method[Any, Any]],
    prog: str = "binance-ws",
    spec_version: str = "",
    servers: Mapping[str, str] | None = None,
) -> int:
    """Entry point used by the generated `binance_spot_ws._cli.main`; `servers` are the spec's, by name."""
    spec = f" (spec {spec_version}, {len(methods)} methods)" if spec_version else f" ({len(methods)} methods)"
    args = _parser(prog, f"{prog} {__version__}{spec}").parse_args(argv)
    args.servers = dict(servers or {})
    try:
        if args.command == "methods":
            return _list(methods, args.filter)
        if args.command == "emulator":
            from binance_ws_emulator.__main__ import main as emulator_main

            options = ["--port", str(args.port), "--seed", str(args.seed)]
            options += ["--ticker", str(args.ticker)] if args.ticker else []
            options += ["--tls"] if args.tls else []
            options += ["--ed25519", args.ed25519] if args.ed25519 else []
            return emulator_main(options)
        runner = _call if args.command == "call" else _watch
        return asyncio.run(runner(client_class, methods, args))
    except (UsageError, ParamError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownExecutionStatus as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNKNOWN
    except ApiError as error:
        print(f"error: {error.method}: status {error.status}, code {error.code}: {error.msg}", file=sys.stderr)
        return EXIT_API
    except (TransportError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_TRANSPORT
    except KeyError as error:  # key_from_env: which variable is missing
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return EXIT_USAGE
    except (BinanceError, ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
