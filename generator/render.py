"""Stage 4b: IR -> `{relative path: source}` through the Jinja templates in templates/."""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import models
from .ir import Api
from .streams import Streams

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


def package(api: Api, streams: Streams | None = None, *, sbe: bool = False, sbe_stream: bool = False) -> dict[str, str]:
    header = models.HEADER.format(spec=api.spec_name)
    client = ENV.get_template("client.py.jinja")
    files = {
        "__init__.py": ENV.get_template("__init__.py.jinja").render(api=api, header=header, streams=streams),
        "_methods.py": ENV.get_template("methods.py.jinja").render(api=api, header=header),
        "_aliases.py": models.with_lazy_money(ENV.get_template("aliases.py.jinja").render(api=api, header=header)),
        "_errors.py": ENV.get_template("errors.py.jinja").render(api=api, header=header),
        "_async_client.py": client.render(api=api, header=header, aio=True, sbe=sbe),
        "_client.py": client.render(api=api, header=header, aio=False, sbe=sbe),
        "_cli.py": ENV.get_template("cli.py.jinja").render(api=api, header=header),
        "types.py": models.render(api),
        "API.md": ENV.get_template("API.md.jinja").render(api=api),
        "py.typed": "",
    }
    if streams is not None:
        files.update(streams_package(streams, sbe=sbe_stream, package=api.package))
    return files


def streams_package(streams: Streams, *, sbe: bool = False, package: str = "binance_spot_ws") -> dict[str, str]:
    """The market-data stream files, from the streams document (`sbe`: with the SBE streams' layout
    and their direct decoders, `_sbe_stream_decode.py` of `package`)."""
    header = models.HEADER.format(spec=streams.spec_name)
    return {
        "_streams.py": ENV.get_template("streams.py.jinja").render(
            streams=streams, header=header, sbe=sbe, package=package
        ),
        "stream_types.py": models.with_lazy_money(
            ENV.get_template("stream_types.py.jinja").render(streams=streams, header=header)
        ),
    }
