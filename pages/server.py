"""The process that serves the pages (`caisse serve` runs `python -m pages.server ARGS`): Streamlit's own
command line, after three changes.

- Streamlit asks checkip.amazonaws.com for the machine's public address when it starts on a wildcard address
  (0.0.0.0: the shop's network) and when it checks the origin of a browser it does not recognise; a register
  server never calls out, so that lookup answers "unknown" here, without any request. Usage statistics are off
  in .streamlit/config.toml and on the command line.
- uvicorn does not believe X-Forwarded-For: the sign-in throttle counts the TCP peer.
- A guard before Streamlit refuses a Host that is neither an IP address nor one of the server's names (DNS
  rebinding), and every response forbids framing by another site (frame-ancestors 'self', X-Frame-Options)."""

import ipaddress
import os
import sys

import streamlit.net_util
from streamlit.web import cli
from streamlit.web.server.starlette import starlette_app, starlette_server

_uvicorn_options = starlette_server._get_uvicorn_config_kwargs


def _no_proxy_headers() -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a browser on the server could then name any
    address, and the sign-in throttle, which counts by address, would count nothing. The register server sits
    behind no proxy: the address is the TCP peer's, always."""
    return {**_uvicorn_options(), "proxy_headers": False}


class _Guard:
    """Before Streamlit: a request whose Host is neither an IP address nor one of the server's names is refused
    (DNS rebinding: a site's own name, resolved to this server, would otherwise reach the app with the shop's
    cookies); every page says it may not be framed by another site (clickjacking of a till)."""

    def __init__(self, app, names: set[str]):
        self.app, self.names = app, names

    def allowed(self, host: str) -> bool:
        name = host.strip().lower()
        if name.startswith("["):  # [::1]:8501
            name = name[1:].partition("]")[0]
        elif name.count(":") == 1:
            name = name.partition(":")[0]
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return name in self.names

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        if not self.allowed(host):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            body = ("Adresse non autorisée : ouvrez le serveur caisse par son adresse IP ou par son nom "
                    "(réglage hosts).").encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), *FRAMING]})
            return await send({"type": "http.response.body", "body": body})
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)

        async def framed(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *FRAMING]}
            await send(message)
        return await self.app(scope, receive, framed)


FRAMING = [(b"content-security-policy", b"frame-ancestors 'self'"), (b"x-frame-options", b"SAMEORIGIN")]
_middleware = starlette_app.create_streamlit_middleware


def _guarded_middleware() -> list:
    from starlette.middleware import Middleware
    names = {n for n in os.environ.get("CAISSE_NOMS_ADMIS", "localhost").split(",") if n}
    return [Middleware(_Guard, names=names), *_middleware()]


def _no_lookup(*args, **kwargs) -> None:
    return None


def main() -> None:
    streamlit.net_util.get_external_ip = _no_lookup
    streamlit.net_util._make_blocking_http_get = _no_lookup
    starlette_server._get_uvicorn_config_kwargs = _no_proxy_headers
    starlette_app.create_streamlit_middleware = _guarded_middleware
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
