"""A fake ESC/POS network printer on 127.0.0.1 that records what it receives, and a small decoder that turns
the bytes back into text (CP858), with the cut marked."""

from __future__ import annotations

import socket
import threading

CUT = "<<COUPE>>"


class FakePrinter:
    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.jobs: list[bytes] = []
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"network://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            data = b""
            with conn:
                while chunk := conn.recv(65536):
                    data += chunk
            self.jobs.append(data)
            self.done.set()

    def wait(self, jobs: int = 1, timeout: float = 10) -> list[bytes]:
        while len(self.jobs) < jobs and self.done.wait(timeout):
            self.done.clear()
        return self.jobs

    def close(self) -> None:
        self.listener.close()


def decode(data: bytes) -> str:
    """ESC/POS bytes -> text: commands dropped (ESC @, ESC t n, ESC d n, GS V m), the cut marked, CP858 text."""
    out, i = bytearray(), 0
    code_page_seen = False
    while i < len(data):
        byte = data[i]
        if byte == 0x1B and data[i + 1:i + 2] == b"@":
            i += 2
        elif byte == 0x1B and data[i + 1:i + 2] == b"t":
            code_page_seen = data[i + 2] == 19  # 19 is CP858 in the ESC t table
            i += 3
        elif byte == 0x1B and data[i + 1:i + 2] == b"d":
            i += 3
        elif byte == 0x1D and data[i + 1:i + 2] == b"V":
            out += CUT.encode("cp858")
            i += 3
        else:
            out.append(byte)
            i += 1
    assert code_page_seen, "the document must select code page CP858"
    return out.decode("cp858")
