"""The `binance-ws` command line: call any method, list methods, run the local exchange, watch user data.

The generated package supplies the method table and the client class (its `_cli.py`
is generated from the spec); this module holds the parsing and printing.

Exit codes: 0 success, 1 usage error or bad argument (nothing sent), 2 the server
rejected the request, 3 transport failure or timeout, 4 execution status unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from ._async import PRODUCTION, TESTNET, AsyncConnection
from .errors import ApiError, BinanceError, ParamError, TransportError, UnknownExecutionStatus
from .events import StreamGap
from .method import Method
from .signing import HmacKey, Signer, key_from_env, key_from_pem

EXIT_OK, EXIT_USAGE, EXIT_API, EXIT_TRANSPORT, EXIT_UNKNOWN = 0, 1, 2, 3, 4
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Binance Spot WebSocket API from the shell.")
    sub = parser.add_subparsers(dest="command", required=True)

    def connection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", help=f"endpoint (default {PRODUCTION})")
        p.add_argument("--testnet", action="store_true", help=f"use {TESTNET}")
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
    watch = sub.add_parser("watch", help="log on, subscribe and print user-data events until Ctrl-C")
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
        return HmacKey(api_key or "", os.environ[args.secret_env])
    return None


def _params(method: Method[Any, Any], pairs: Sequence[str]) -> dict[str, Any]:
    python_to_wire = {python: wire for wire, python in method.wire_to_python.items()}
    list_params = {
        f.encode_name for f in (msgspec.structs.fields(method.params) if method.params else ()) if "list" in str(f.type)
    }
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ParamError(method.wire, pair, "expected name=value")
        wire = python_to_wire.get(name, name)
        if method.params is not None and wire not in method.wire_to_python:
            raise ParamError(method.wire, name, "unknown parameter")
        out[wire] = value.split(",") if wire in list_params else value
    return out


def _print(value: Any) -> None:
    sys.stdout.write(
        _ENCODER.encode(msgspec.to_builtins(value, builtin_types=(__import__("decimal").Decimal,))).decode() + "\n"
    )


async def _call(
    client_class: type[AsyncConnection], methods: Mapping[str, Method[Any, Any]], args: argparse.Namespace
) -> int:
    by_python = {wire.replace(".", "_").lower(): wire for wire in methods}
    wire = args.method if args.method in methods else by_python.get(args.method.lower())
    if wire is None:
        print(f"unknown method {args.method!r}; see `binance-ws methods`", file=sys.stderr)
        return EXIT_USAGE
    method = methods[wire]
    params = _params(method, args.params)
    url = args.url or (TESTNET if args.testnet else PRODUCTION)
    async with client_class(url=url, key=_key(args), timeout=args.timeout) as client:
        if args.logon:
            await client.request_raw("session.logon", signed=True)
        _print(await client._request(method, params))
    return EXIT_OK


async def _watch(
    client_class: type[AsyncConnection], methods: Mapping[str, Method[Any, Any]], args: argparse.Namespace
) -> int:
    url = args.url or (TESTNET if args.testnet else PRODUCTION)
    async with client_class(url=url, key=_key(args), timeout=args.timeout) as client:
        await client._request(methods["session.logon"], {})
        await client._request(methods["userDataStream.subscribe"], {})
        async for event in client.user_data():
            if isinstance(event, StreamGap):
                print(f"# gap: {event.reason} (re-query balances and open orders)", file=sys.stderr)
            else:
                _print(event)
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
    client_class: type[AsyncConnection],
    methods: Mapping[str, Method[Any, Any]],
    prog: str = "binance-ws",
) -> int:
    """Entry point used by the generated `binance_spot_ws._cli.main`."""
    args = _parser(prog).parse_args(argv)
    try:
        if args.command == "methods":
            return _list(methods, args.filter)
        if args.command == "emulator":
            from binance_ws_emulator.__main__ import main as emulator_main

            options = ["--port", str(args.port), "--seed", str(args.seed)]
            options += ["--ticker", str(args.ticker)] if args.ticker else []
            options += ["--tls"] if args.tls else []
            return emulator_main(options)
        runner = _call if args.command == "call" else _watch
        return asyncio.run(runner(client_class, methods, args))
    except ParamError as error:
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
    except (BinanceError, KeyError, ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
