"""`import binance_spot_ws` does only what every user needs: work that only some programs need
(RSA/Ed25519 keys, a transport, the decoder of a method never called) is done on first use."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_importing_the_sdk_leaves_cryptography_unloaded() -> None:
    """Only RSA and Ed25519 keys need it (tens of ms to import): loaded when one is used."""
    _run("import sys, binance_spot_ws; assert 'cryptography' not in sys.modules")
    _run(
        "import sys, binance_spot_ws as sdk; from cryptography.hazmat.primitives.asymmetric import ed25519;"
        "key = sdk.Ed25519Key('k', ed25519.Ed25519PrivateKey.generate()); assert len(key.sign(b'x')) == 88"
    )


def test_decoders_are_built_on_first_use() -> None:
    _run(
        "from binance_spot_ws import _methods as m; from binance_ws import Method;"
        "methods = [v for v in vars(m).values() if isinstance(v, Method)];"
        "assert len(methods) > 40 and all(x._decoder is None for x in methods);"
        "assert m.TIME.decoder.decode(b'{\"serverTime\": 5}').server_time == 5;"
        "assert m.TIME.decoder is m.TIME.decoder and m.PING._decoder is None"
    )


def test_no_transport_library_is_imported_until_a_client_connects() -> None:
    _run(
        "import sys, binance_spot_ws;"
        "loaded = [m for m in ('httpx', 'httpx_ws', 'anyio', 'wsproto', 'websockets', 'picows') if m in sys.modules];"
        "assert not loaded, loaded"
    )
