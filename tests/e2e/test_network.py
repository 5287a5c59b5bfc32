"""Safe on the shop's network (issue 13, point 6), with the real server: it listens where it is told (127.0.0.1
unless told), it never calls out (a proxy of ours on 127.0.0.1 would see the call: Streamlit's public-address
lookup happens at start on a wildcard address and when a browser of an unknown origin connects), and a copied
Streamlit session id, without the browser's cookie, carries nobody."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from caisse.rules.auth import login_key
from caisse.services.home import initialise, open_store
from caisse.services.sync import run_import
from tests.conftest import MANAGER
from tests.e2e.test_journey import ARGS, CHROMIUM, VIEWPORT
from tests.sshd import free_port

ROOT = Path(__file__).resolve().parents[2]


class Recorder(http.server.ThreadingHTTPServer):
    """An HTTP proxy that answers nothing and remembers every request it was sent."""

    def __init__(self):
        self.seen: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                recorder.seen.append(f"{self.command} {self.path}")
                self.send_error(502)

            do_GET = do_POST = do_CONNECT = do_HEAD = _any

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def start(settings, port: int, *extra: str, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "caisse", "serve", "--port", str(port), *extra], cwd=ROOT,
                            env={**os.environ, "CAISSE_HOME": str(settings.home), **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode())


def listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on, read from /proc (no traffic)."""
    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(socket.inet_ntop(socket.AF_INET if size == 8 else socket.AF_INET6,
                                           bytes.fromhex(address)[::-1] if size == 8 else
                                           b"".join(bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8))))
    return found


@pytest.fixture
def shop(demo):
    initialise(demo, demo=True)
    run_import(open_store(demo), demo, "C01", MANAGER.login, MANAGER.password)
    return demo


def test_it_listens_on_127_0_0_1_unless_told_and_where_it_is_told(shop):
    port = free_port()
    proc = start(shop, port)
    try:
        assert listening(port) == {"127.0.0.1"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_on_the_shops_network_it_never_calls_out_even_for_a_browser_it_does_not_know(shop):
    recorder = Recorder()
    proxies = {name: recorder.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    port = free_port()
    proc = start(shop, port, "--address", "0.0.0.0", env={**proxies, "NO_PROXY": "", "no_proxy": ""})
    try:
        assert listening(port) == {"0.0.0.0"}
        # A page of another origin opening the app's websocket: Streamlit checks that origin against the machine's
        # addresses (and refuses it); the public one is the lookup that must not go out.
        with pytest.raises(InvalidStatus, match="403"):
            connect(f"ws://127.0.0.1:{port}/_stcore/stream", origin=f"http://ailleurs.example:{port}",
                    subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"], open_timeout=10)
        time.sleep(1.5)  # Streamlit's lookup would have gone (and timed out) by now
        assert recorder.seen == []
    finally:
        proc.terminate()
        proc.wait(10)
        recorder.shutdown()


def test_a_copied_streamlit_session_id_without_the_cookie_carries_nobody(shop):
    """The attacker's browser reconnects to the manager's Streamlit session by its id (what the server's log
    prints): it gets the session's state, but not the manager, whose token is in a cookie it does not have."""
    port = free_port()
    proc = start(shop, port)
    url = f"http://127.0.0.1:{port}"
    spy = """(() => { const Native = window.WebSocket; window.__sockets = [];
        window.WebSocket = function (u, protocols) {
            window.__protocols = protocols; const s = new Native(u, protocols); window.__sockets.push(s); return s; };
        window.WebSocket.prototype = Native.prototype; })();"""
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            victim = browser.new_context(viewport=VIEWPORT).new_page()
            victim.add_init_script(spy)
            victim.goto(url)
            victim.get_by_label("Identifiant du back-office").fill(MANAGER.login)
            victim.get_by_label("Mot de passe du back-office").fill(MANAGER.password)
            victim.get_by_role("button", name="Se connecter").click()
            expect(victim.get_by_role("link", name="Journal")).to_be_visible(timeout=30_000)
            victim.evaluate("() => window.__sockets.at(-1).close()")  # a network blip: Streamlit reconnects,
            victim.wait_for_function("() => window.__sockets.length > 1 && window.__protocols.length > 2",
                                     timeout=30_000)  # naming its session in the websocket's protocols
            session_id = victim.evaluate("() => window.__protocols[2]")
            assert session_id
            attacker = browser.new_context(viewport=VIEWPORT).new_page()
            attacker.add_init_script("(() => { const Native = window.WebSocket; window.WebSocket = function (u, p) {"
                                     f" return new Native(u, [p[0], p[1], '{session_id}']); }};"
                                     " window.WebSocket.prototype = Native.prototype; })();")
            attacker.goto(f"{url}/journal")
            expect(attacker.get_by_text("Identifiez-vous d'abord : sur l'écran Ouverture")).to_be_visible(
                timeout=30_000)
            expect(attacker.get_by_role("link", name="Journal")).to_have_count(0)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    # The attacker did hold the manager's Streamlit session (Streamlit says so in its log), and carried nobody.
    assert f"Session with id {session_id} is already connected" in proc.stderr.read().decode()


def test_the_sign_in_throttle_counts_the_tcp_peer_and_believes_no_forwarded_header(shop):
    """Last round six wrong passwords from a browser on the server, each with an invented X-Forwarded-For, were
    never slowed (and any address could be slowed on purpose). The address is the TCP peer's: the browser on the
    server is one place, « navigateur du serveur », apart from the console's."""
    port = free_port()
    proc = start(shop, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for attempt in range(4):
                context = browser.new_context(viewport=VIEWPORT,
                                              extra_http_headers={"X-Forwarded-For": f"10.9.8.{attempt + 1}"})
                page = context.new_page()
                page.goto(url)
                page.get_by_label("Identifiant du back-office").fill(MANAGER.login)
                page.get_by_label("Mot de passe du back-office").fill("pas-le-bon")
                page.get_by_role("button", name="Se connecter").click()
                expect(page.get_by_text("Identifiant ou mot de passe incorrect").or_(
                    page.get_by_text("Trop de mots de passe erronés"))).to_be_visible(timeout=30_000)
                context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    with open_store(shop).connect() as con:  # one place, four failures in a row (and the account's own count)
        counted = dict(con.execute("SELECT source, echecs FROM essai_echec").fetchall())
    assert counted == {"navigateur du serveur": 4, login_key(MANAGER.login): 4}


def test_a_host_that_is_not_the_servers_is_refused_and_no_page_may_be_framed_elsewhere(shop):
    """DNS rebinding: a site's own name resolved to the register server reached the app with any Host; and any
    site could frame the till. Now a name that is not the server's is refused (pages and websocket), an IP address
    or localhost is served, and every response says frame-ancestors 'self'."""
    port = free_port()
    proc = start(shop, port)

    def get(host: str):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read().decode()

    def upgrade(host: str) -> str:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: http://{host}\r\n\r\n".encode())
            return s.recv(200).decode("latin-1").split("\r\n")[0]

    try:
        for host in ("evil.example", "caisse.attaquant.fr:8501", f"evil.example:{port}"):
            status, headers, body = get(host)
            assert status == 400 and "Adresse non autorisée" in body, (host, status)
            assert " 101 " not in upgrade(host)
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"192.168.1.20:{port}"):
            status, headers, _ = get(host)
            assert status == 200, (host, status)
            assert headers.get("content-security-policy") == "frame-ancestors 'self'" or \
                headers.get("Content-Security-Policy") == "frame-ancestors 'self'", headers
        assert " 101 " in upgrade(f"127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(10)
