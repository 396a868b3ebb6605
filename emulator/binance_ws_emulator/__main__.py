"""`python -m binance_ws_emulator` / `binance-ws-emulator`: run the local exchange until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import ssl
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from .auth import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET
from .server import Emulator
from .tls import self_signed_certificate, server_context

ED25519_API_KEY = "local-ed25519-key"


def _ed25519_public_pem(path: Path) -> bytes:
    """The public key of the Ed25519 PEM at `path` (made and written there, mode 0600, if absent)."""
    if not path.exists():
        private = ed25519.Ed25519PrivateKey.generate()
        path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        path.chmod(0o600)
        print(f"wrote a new Ed25519 private key to {path}", flush=True)
    data = path.read_bytes()
    key: object
    try:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    except ValueError:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="binance-ws-emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ping-interval", type=float, default=20.0)
    parser.add_argument("--pong-timeout", type=float, default=60.0)
    parser.add_argument("--max-lifetime", type=float, default=24 * 3600.0)
    parser.add_argument("--weight-limit", type=int, default=6000)
    parser.add_argument("--ticker", type=float, metavar="SECONDS", help="move the market by itself every SECONDS")
    parser.add_argument("--tls", action="store_true", help="serve wss:// with a throwaway self-signed certificate")
    parser.add_argument("--tls-cert", help="PEM certificate (chain): serve wss:// with it")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert (default: in the same file)")
    parser.add_argument(
        "--ed25519",
        metavar="PEM",
        help="register this Ed25519 key (private or public PEM) as API key " + ED25519_API_KEY + "; "
        "a private key is made and written there first if the file does not exist",
    )
    args = parser.parse_args(argv)
    if args.tls_key and not args.tls_cert:
        parser.error("--tls-key needs --tls-cert")
    context = None
    if args.tls and not args.tls_cert:
        folder = Path(tempfile.mkdtemp(prefix="binance-ws-emulator-"))
        cert, key = self_signed_certificate(folder, args.host)
        print(f"certificate: {cert} (trust it with SSL_CERT_FILE={cert})", flush=True)
        context = server_context(cert, key)
    elif args.tls_cert:
        try:
            context = server_context(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            parser.error(f"cannot load --tls-cert/--tls-key: {exc}")
    public_pem = b""
    if args.ed25519:
        try:
            public_pem = _ed25519_public_pem(Path(args.ed25519))
        except (OSError, ValueError, TypeError) as exc:
            parser.error(f"--ed25519: {exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def run() -> None:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            seed=args.seed,
            ping_interval=args.ping_interval,
            pong_timeout=args.pong_timeout,
            max_lifetime=args.max_lifetime,
            weight_limit=args.weight_limit,
            ssl=context,
            ticker_interval=args.ticker,
        )
        async with emulator:
            if public_pem:
                emulator.register_key(ED25519_API_KEY, "ed25519", account="demo", public_key_pem=public_pem)
            print(f"listening on {emulator.url}", flush=True)
            # The docs' published example key: not a secret, and what the demo account trades with.
            print(f"demo HMAC api key: {DOCS_HMAC_API_KEY}", flush=True)
            print(f"demo HMAC secret:  {DOCS_HMAC_SECRET} (the example published in the Binance docs)", flush=True)
            if public_pem:
                print(
                    f"Ed25519 api key: {ED25519_API_KEY} (same account); try: binance-ws watch --url {emulator.url}"
                    f" --api-key {ED25519_API_KEY} --key-file {args.ed25519}",
                    flush=True,
                )
            print(f"market-data streams: {emulator.stream_url}/ws/<stream>, {emulator.stream_url}/stream?streams=...")
            print(
                f"SBE market-data streams (an Ed25519 API key in X-MBX-APIKEY): {emulator.sbe_stream_url}/ws/<stream>"
            )
            await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
