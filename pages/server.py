"""The process that serves the pages (`caisse serve` runs `python -m pages.server ARGS`): Streamlit's own
command line, after one change. Streamlit asks checkip.amazonaws.com for the machine's public address when
it starts on a wildcard address (0.0.0.0: the shop's network) and when it checks the origin of a browser it
does not recognise; a register server never calls out, so that lookup answers "unknown" here, without any
request. Usage statistics are off in .streamlit/config.toml and on the command line."""

import sys

import streamlit.net_util
from streamlit.web import cli
from streamlit.web.server.starlette import starlette_server

_uvicorn_options = starlette_server._get_uvicorn_config_kwargs


def _no_proxy_headers() -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a browser on the server could then name any
    address, and the sign-in throttle, which counts by address, would count nothing. The register server sits
    behind no proxy: the address is the TCP peer's, always."""
    return {**_uvicorn_options(), "proxy_headers": False}


def _no_lookup(*args, **kwargs) -> None:
    return None


def main() -> None:
    streamlit.net_util.get_external_ip = _no_lookup
    streamlit.net_util._make_blocking_http_get = _no_lookup
    starlette_server._get_uvicorn_config_kwargs = _no_proxy_headers
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
