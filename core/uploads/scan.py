"""Virus scan: each stored upload goes through clamd (INSTREAM) when CLAMD_SOCKET is set."""
import socket
import struct
from pathlib import Path

from flask import current_app
from flask_login import current_user

from core.uploads.errors import UploadRejected, quoted
from core.uploads.formats import CHUNK_SIZE


class ScanUnavailable(Exception):
    """clamd is configured but could not give a verdict."""


def clamd_scan(path: str | Path, socket_path: str, timeout: float = 30.0) -> str | None:
    """Send `path` to clamd over its Unix socket with INSTREAM.

    Returns None when clean, the signature name when infected; raises ScanUnavailable otherwise
    (unreachable, timeout, size limit, unexpected answer)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(b"zINSTREAM\0")
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < 4096:
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as error:  # includes timeouts and a connection closed by clamd mid-stream
        raise ScanUnavailable(str(error)) from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith(" OK") or answer == "OK":
        return None
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream:").removesuffix("FOUND").strip() or "inconnu"
    raise ScanUnavailable(answer or "empty answer")


def scan_file(path: str | Path, name: str) -> None:
    """Scan when CLAMD_SOCKET is set; refuse (fail closed) when the scanner cannot answer."""
    socket_path = current_app.config.get("CLAMD_SOCKET")
    if not socket_path:
        return
    try:
        signature = clamd_scan(path, socket_path, current_app.config.get("CLAMD_TIMEOUT", 30.0))
    except ScanUnavailable as error:
        current_app.logger.error("Antivirus unavailable, upload refused: %s", error)
        raise UploadRejected("L’analyse antivirus est momentanément indisponible. Réessayez plus tard.") from None
    if signature:
        current_app.logger.warning("Infected upload refused (%s) from user %s", signature,
                                   getattr(current_user, "id", None))
        raise UploadRejected(f"Le fichier {quoted(name)} a été refusé : l’analyse antivirus y a détecté "
                             "un contenu malveillant.")
