"""Virus scanning hook: clamd's INSTREAM protocol over a Unix socket, failing closed.

clamd itself (with signatures) cannot be installed here: a small scripted peer plays its part."""
import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path

import pytest

from core.uploads import CHUNK_SIZE, MB, ScanUnavailable, clamd_scan
from tests.components.test_attachments_content import ALL_FORMATS, pdf_bytes, rejection, store, stored_files

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
UNAVAILABLE = "L’analyse antivirus est momentanément indisponible. Réessayez plus tard."


class FakeClamd:
    """Accepts connections on a Unix socket and answers like clamd (or misbehaves on purpose).

    Records, per connection, the command and the chunks received."""

    def __init__(self, path, mode="normal"):
        self.path = str(path)
        self.mode = mode
        self.sessions = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exact(self, conn, n):
        data = b""
        while len(data) < n:
            part = conn.recv(n - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                session = {"command": b"", "chunks": []}
                self.sessions.append(session)
                while not session["command"].endswith(b"\0"):
                    session["command"] += conn.recv(1)
                if self.mode == "silent":
                    continue  # closes without answering
                while True:
                    (length,) = struct.unpack("!L", self._read_exact(conn, 4))
                    if length == 0:
                        break
                    session["chunks"].append(self._read_exact(conn, length))
                data = b"".join(session["chunks"])
                if self.mode == "limit":
                    reply = b"INSTREAM size limit exceeded. ERROR"
                elif EICAR in data:
                    reply = b"stream: Eicar-Test-Signature FOUND"
                else:
                    reply = b"stream: OK"
                conn.sendall(reply + b"\0")

    def close(self):
        self.server.close()


@pytest.fixture
def socket_dir():
    # Unix socket paths are limited to ~100 bytes: pytest's tmp_path can be longer.
    path = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def clamd(socket_dir):
    peers = []

    def start(mode="normal"):
        peer = FakeClamd(socket_dir / f"clamd-{len(peers)}.sock", mode)
        peers.append(peer)
        return peer
    yield start
    for peer in peers:
        peer.close()


def test_instream_protocol(clamd, tmp_path):
    peer = clamd()
    data = pdf_bytes(CHUNK_SIZE * 2 + 123)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert clamd_scan(path, peer.path, timeout=5) is None
    session = peer.sessions[0]
    assert session["command"] == b"zINSTREAM\0"
    assert [len(c) for c in session["chunks"]] == [CHUNK_SIZE, CHUNK_SIZE, 123]
    assert b"".join(session["chunks"]) == data


def test_instream_reports_the_signature(clamd, tmp_path):
    peer = clamd()
    path = tmp_path / "f"
    path.write_bytes(EICAR)
    assert clamd_scan(path, peer.path, timeout=5) == "Eicar-Test-Signature"


@pytest.mark.parametrize("mode", ["limit", "silent"])
def test_errors_and_silence_are_unavailability(clamd, tmp_path, mode):
    peer = clamd(mode)
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    with pytest.raises(ScanUnavailable):
        clamd_scan(path, peer.path, timeout=5)


def test_clean_file_is_accepted_when_clamd_answers_ok(app, clamd):
    peer = clamd()
    app.config["CLAMD_SOCKET"] = peer.path
    storage_name, *_ = store(app, pdf_bytes(), "propre.pdf")
    assert stored_files(app) == [storage_name]
    assert b"".join(peer.sessions[0]["chunks"]) == pdf_bytes()


def test_infected_file_is_refused(app, clamd):
    app.config["CLAMD_SOCKET"] = clamd().path
    assert rejection(app, b"X" + EICAR, "virus.txt", ALL_FORMATS) == (
        "Le fichier « virus.txt » a été refusé : l’analyse antivirus y a détecté un contenu malveillant.")
    assert stored_files(app) == []


@pytest.mark.parametrize("mode", ["limit", "silent"])
def test_misbehaving_clamd_fails_closed(app, clamd, mode):
    app.config["CLAMD_SOCKET"] = clamd(mode).path
    assert rejection(app, pdf_bytes(), "a.pdf") == UNAVAILABLE
    assert stored_files(app) == []


def test_unreachable_clamd_fails_closed(app, socket_dir):
    app.config["CLAMD_SOCKET"] = str(socket_dir / "absent.sock")
    assert rejection(app, pdf_bytes(), "a.pdf") == UNAVAILABLE
    assert stored_files(app) == []


def test_not_configured_means_not_scanned(app):
    assert not app.config.get("CLAMD_SOCKET")
    assert store(app, b"X" + EICAR, "virus.txt")[2].startswith("text/plain")


def test_large_files_are_streamed_to_clamd(app, clamd):
    peer = clamd()
    app.config["CLAMD_SOCKET"] = peer.path
    store(app, pdf_bytes(5 * MB), "gros.pdf")
    assert max(len(c) for c in peer.sessions[0]["chunks"]) <= CHUNK_SIZE
