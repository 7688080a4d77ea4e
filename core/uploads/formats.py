"""File formats: what each accepted extension must contain, checked on the stored bytes.

The extension says what the user claims; the verifier of its format reads the file's head (magic
numbers), opens Office zips with bounded effort, or decodes text, and returns the content type to
store and serve, or None when the content does not match."""
import codecs
import os
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Callable

from filetype.types import archive as ft_archive
from filetype.types import image as ft_image

MB = 1024 * 1024
CHUNK_SIZE = 64 * 1024      # memory used per file while streaming, whatever its size
HEAD_SIZE = 8192            # bytes kept for magic-number detection (what filetype reads)
ZIP_MAX_ENTRIES = 1000      # a real .docx has a few dozen entries, a big .xlsx a few hundred
ZIP_MAX_CENTRAL_DIRECTORY = 256 * 1024  # bounds what zipfile loads in memory before we count entries
ZIP_MAX_UNCOMPRESSED = 100 * MB         # declared total once unzipped: refuses zip bombs
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

# (path, head, content type of the format) -> content type to store, or None
Verifier = Callable[[str, bytes, str], "str | None"]


class ZipTooLarge(Exception):
    """A zip whose directory, entries or declared uncompressed size exceed the limits above."""


@dataclass(frozen=True)
class FileFormat:
    label: str          # shown to users: "PDF", "JPG"…
    content_type: str   # stored and served (never the one the browser sent)
    verify: Verifier


def _magic(*matchers) -> Verifier:
    def verify(path, head, content_type):
        return content_type if any(m.match(head) for m in matchers) else None
    return verify


def _ole(path, head, content_type):
    # Legacy Office (.doc, .xls, .ppt) are OLE2 compound files; their header says nothing more.
    return content_type if head.startswith(OLE_SIGNATURE) else None


def _open_zip(path) -> zipfile.ZipFile:
    """ZipFile of `path`, after checking from the end-of-central-directory record that opening it
    cannot load an oversized directory, then that entries and declared sizes stay reasonable."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        tail_len = min(size, 22 + 65535)
        f.seek(size - tail_len)
        tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise zipfile.BadZipFile("no end of central directory")
    total_entries, cd_size = struct.unpack("<HI", tail[pos + 10:pos + 16])
    if total_entries > ZIP_MAX_ENTRIES or cd_size > ZIP_MAX_CENTRAL_DIRECTORY:
        raise ZipTooLarge()
    zf = zipfile.ZipFile(path)
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_ENTRIES or sum(i.file_size for i in infos) > ZIP_MAX_UNCOMPRESSED:
        zf.close()
        raise ZipTooLarge()
    return zf


def _ooxml(part_prefix: str) -> Verifier:
    def verify(path, head, content_type):
        if not head.startswith(b"PK\x03\x04"):
            return None
        with _open_zip(path) as zf:
            names = zf.namelist()
        # Macros make it a .docm/.xlsm in disguise, which Office itself refuses to open as .docx/.xlsx.
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return None
        if "[Content_Types].xml" in names and any(n.startswith(part_prefix) for n in names):
            return content_type
        return None
    return verify


def _odf(path, head, content_type):
    # ODF stores an uncompressed "mimetype" entry first, holding the document's type.
    if not head.startswith(b"PK\x03\x04"):
        return None
    with _open_zip(path) as zf:
        first = zf.infolist()[0] if zf.infolist() else None
        if first is None or first.filename != "mimetype" or first.file_size > 100:
            return None
        declared = zf.read(first)
    return content_type if declared == content_type.encode("ascii") else None


_FORBIDDEN_CONTROLS = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def _text(path, head, content_type):
    """Plain text in UTF-8 (BOM allowed) or, failing that, Windows-1252, without binary control bytes.
    Read back from disk in chunks: a 5 MB CSV is never held in memory."""
    for encoding, charset in (("utf-8-sig", "utf-8"), ("cp1252", "windows-1252")):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    if _FORBIDDEN_CONTROLS.search(chunk):
                        return None
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return f"{content_type}; charset={charset}"
    return None


_OOXML = "application/vnd.openxmlformats-officedocument."
FORMATS: dict[str, FileFormat] = {
    "pdf": FileFormat("PDF", "application/pdf", _magic(ft_archive.Pdf())),
    "jpg": FileFormat("JPG", "image/jpeg", _magic(ft_image.Jpeg())),
    "jpeg": FileFormat("JPG", "image/jpeg", _magic(ft_image.Jpeg())),
    "png": FileFormat("PNG", "image/png", _magic(ft_image.Png())),
    "gif": FileFormat("GIF", "image/gif", _magic(ft_image.Gif())),
    "tif": FileFormat("TIFF", "image/tiff", _magic(ft_image.Tiff())),
    "tiff": FileFormat("TIFF", "image/tiff", _magic(ft_image.Tiff())),
    "doc": FileFormat("DOC", "application/msword", _ole),
    "xls": FileFormat("XLS", "application/vnd.ms-excel", _ole),
    "ppt": FileFormat("PPT", "application/vnd.ms-powerpoint", _ole),
    "docx": FileFormat("DOCX", _OOXML + "wordprocessingml.document", _ooxml("word/")),
    "xlsx": FileFormat("XLSX", _OOXML + "spreadsheetml.sheet", _ooxml("xl/")),
    "pptx": FileFormat("PPTX", _OOXML + "presentationml.presentation", _ooxml("ppt/")),
    "odt": FileFormat("ODT", "application/vnd.oasis.opendocument.text", _odf),
    "ods": FileFormat("ODS", "application/vnd.oasis.opendocument.spreadsheet", _odf),
    "odp": FileFormat("ODP", "application/vnd.oasis.opendocument.presentation", _odf),
    "csv": FileFormat("CSV", "text/csv", _text),
    "txt": FileFormat("TXT", "text/plain", _text),
}

# What reading a damaged or unusual file can raise inside a verifier: the content does not match.
UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
              OSError, ValueError)


# --- Names and sizes as users see them ----------------------------------------------------------

def display_name(raw: str | None) -> str:
    """The name the user gave, fit for display and for Content-Disposition; never a path."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (category C*) include U+202E, which would let "gpj.exe"
    # display as "exe.jpg".
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).rstrip(". ")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:254 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or "fichier"


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def size_label(num: int) -> str:
    """'5 Mo' for whole megabytes, else the `filesize` notation ('1,5 Mo', '800 ko')."""
    if num >= MB and num % MB == 0:
        return f"{num // MB} Mo"
    from core.formatting import filesize
    return filesize(num)
