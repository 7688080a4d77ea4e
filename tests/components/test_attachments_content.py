"""Attachments, file by file: extension and content must agree, limits, names, streamed storage.

Also holds the small builders of test files used by the other test_attachments_* modules."""
import hashlib
import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from core import uploads
from core.uploads import (CHUNK_SIZE, MB, UploadPolicy, UploadRejected, display_name, register_policy,
                          size_label, store_upload)

ALL_FORMATS = UploadPolicy("essai_tout", 8, 5 * MB, tuple(uploads.FORMATS))
PHOTOS = UploadPolicy("essai_photos", 3, 5 * MB, ("pdf", "jpg", "jpeg", "png"))


# --- Builders of test files ----------------------------------------------------------------------

def pdf_bytes(size=1500):
    head, tail = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", b"\n%%EOF\n"
    return head + b"0" * max(size - len(head) - len(tail), 0) + tail


def png_bytes():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def jpeg_bytes():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"


def exe_bytes():
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00" + b"\x00" * 400


def ole_bytes():
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 1000


def zip_bytes(entries, first_stored=None):
    """A zip of {name: bytes}; `first_stored` is written first without compression (ODF's mimetype)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if first_stored:
            zf.writestr(zipfile.ZipInfo(first_stored[0]), first_stored[1], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx_bytes():
    return zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>",
                      "word/document.xml": b"<w:document>Bonjour</w:document>"})


def xlsx_bytes():
    return zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>",
                      "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<worksheet/>"})


def odf_bytes(mimetype="application/vnd.oasis.opendocument.text"):
    return zip_bytes({"content.xml": b"<office:document-content/>", "META-INF/manifest.xml": b"<manifest/>"},
                     first_stored=("mimetype", mimetype.encode()))


def declared_bomb_docx(uncompressed=101 * MB):
    """A .docx of a few hundred kB that unzips to `uncompressed` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        with zf.open("word/document.xml", "w") as f:
            block = b"\0" * MB
            for _ in range(uncompressed // MB):
                f.write(block)
    return buf.getvalue()


def many_entries_docx(n=1001):
    return zip_bytes({"[Content_Types].xml": CONTENT_TYPES,
                      **{f"word/media/image{i}.xml": b"x" for i in range(n)}})


def upload(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def store(app, data, name, policy=ALL_FORMATS):
    with app.test_request_context():
        return store_upload(upload(data, name), policy)


def rejection(app, data, name, policy=ALL_FORMATS):
    with app.test_request_context():
        with pytest.raises(UploadRejected) as excinfo:
            store_upload(upload(data, name), policy)
    return excinfo.value.message


def stored_files(app):
    return sorted(p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir())


# --- Accepted files ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,content_type", [
    ("attestation.pdf", pdf_bytes(), "application/pdf"),
    ("photo.JPG", jpeg_bytes(), "image/jpeg"),
    ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
    ("scan.png", png_bytes(), "image/png"),
    ("courrier.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("tableau.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("courrier.odt", odf_bytes(), "application/vnd.oasis.opendocument.text"),
    ("tableau.ods", odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
     "application/vnd.oasis.opendocument.spreadsheet"),
    ("ancien.doc", ole_bytes(), "application/msword"),
    ("ancien.xls", ole_bytes(), "application/vnd.ms-excel"),
    ("liste.csv", "nom;prénom\nÉlodie;Zoë\n".encode("utf-8"), "text/csv; charset=utf-8"),
    ("liste-bom.csv", "\ufeffnom;ville\nLœuilly;Épinal\n".encode("utf-8"), "text/csv; charset=utf-8"),
    ("liste-excel.csv", "nom;prénom\r\nÉlodie;Zoé\r\n".encode("cp1252"), "text/csv; charset=windows-1252"),
    ("note.txt", b"Bonjour\tmadame\n", "text/plain; charset=utf-8"),
])
def test_files_whose_content_matches_their_extension_are_stored(app, name, data, content_type):
    storage_name, display, stored_type, size, sha256 = store(app, data, name)
    assert sha256 == hashlib.sha256(data).hexdigest()  # computed while streaming
    assert stored_type == content_type
    assert size == len(data)
    assert display == name
    assert (Path(app.config["UPLOAD_FOLDER"]) / storage_name).read_bytes() == data


# --- Refused files -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,label", [
    ("image.pdf", png_bytes(), "PDF"),                 # a PNG renamed .pdf
    ("programme.pdf", exe_bytes(), "PDF"),             # an EXE renamed .pdf
    ("photo.png", jpeg_bytes(), "PNG"),
    ("photo.jpg", pdf_bytes(), "JPG"),
    ("archive.docx", zip_bytes({"a.txt": b"hello", "b/c.txt": b"x"}), "DOCX"),  # a ZIP renamed .docx
    ("classeur.docx", xlsx_bytes(), "DOCX"),           # an .xlsx renamed .docx
    ("protege.docx", ole_bytes(), "DOCX"),             # OLE container where a zip is expected
    ("tronque.docx", docx_bytes()[:200], "DOCX"),      # not a readable zip
    ("macros.docx", zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>",
                               "word/vbaProject.bin": b"\xd0\xcf"}), "DOCX"),  # a .docm renamed .docx
    ("faux.odt", odf_bytes("application/vnd.oasis.opendocument.spreadsheet"), "ODT"),
    ("mimetype-second.odt", zip_bytes({"content.xml": b"<x/>", "mimetype": b"application/vnd.oasis.opendocument.text"}),
     "ODT"),
    ("ancien.doc", pdf_bytes(), "DOC"),                # a PDF renamed .doc: no OLE header
    ("ancien.xls", docx_bytes(), "XLS"),
    ("binaire.csv", b"nom;prenom\n\x00\x01\x02", "CSV"),   # NUL and control bytes
    ("image.csv", png_bytes(), "CSV"),
    ("illisible.csv", b"caf\x81\x8d\x8f\x90\x9d", "CSV"),  # neither UTF-8 nor Windows-1252
    ("programme.txt", exe_bytes(), "TXT"),
])
def test_content_must_match_the_extension(app, name, data, label):
    message = rejection(app, data, name)
    assert message == f"Le contenu du fichier « {name} » ne correspond pas à un fichier {label}."
    assert stored_files(app) == []


@pytest.mark.parametrize("build", [declared_bomb_docx, many_entries_docx], ids=["101-Mo-decompresse", "1001-entrees"])
def test_zip_bombs_are_refused_without_being_unzipped(app, build):
    data = build()
    assert len(data) < 5 * MB
    message = rejection(app, data, "bombe.docx")
    assert message == ("Le fichier « bombe.docx » ne peut pas être accepté : une fois décompressé, son contenu "
                       "est trop volumineux ou compte trop d’éléments.")
    assert stored_files(app) == []


def test_a_large_but_reasonable_docx_is_accepted(app):
    data = declared_bomb_docx(uncompressed=20 * MB)
    assert store(app, data, "long.docx")[2].endswith("wordprocessingml.document")


def test_format_message_lists_accepted_formats_once(app):
    assert rejection(app, exe_bytes(), "x.exe", PHOTOS) == \
        "Le fichier « x.exe » n’est pas d’un format accepté (formats acceptés : PDF, JPG, PNG)."
    assert rejection(app, pdf_bytes(), "sans-extension", PHOTOS).startswith(
        "Le fichier « sans-extension » n’est pas d’un format accepté")
    assert rejection(app, pdf_bytes(), ".pdf", PHOTOS).startswith("Le fichier « .pdf » n’est pas")
    assert stored_files(app) == []


def test_size_limit_is_inclusive_and_checked_while_streaming(app):
    exactly = pdf_bytes(5 * MB)
    assert store(app, exactly, "juste.pdf", PHOTOS)[3] == 5 * MB
    assert rejection(app, pdf_bytes(5 * MB + 1), "gros.pdf", PHOTOS) == \
        "Le fichier « gros.pdf » dépasse la taille maximale de 5 Mo."
    assert len(stored_files(app)) == 1  # only the first one


def test_empty_file_is_refused(app):
    assert rejection(app, b"", "vide.pdf", PHOTOS) == "Le fichier « vide.pdf » est vide."
    assert stored_files(app) == []


# --- Names -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\Élodie\\Mes documents\\relevé.pdf", "relevé.pdf"),
    ("facture\u202egpj.exe", "facturegpj.exe"),    # right-to-left override removed
    ("a\x00b\nc\t.pdf", "abc.pdf"),
    ("  beaucoup   d’espaces  .pdf ", "beaucoup d’espaces .pdf"),
    ("e\u0301te\u0301.pdf", "été.pdf"),             # NFC
    ("fichier.pdf...", "fichier.pdf"),
    ("", "fichier"),
    ("/", "fichier"),
])
def test_display_names_are_sanitised(raw, expected):
    assert display_name(raw) == expected


def test_long_names_are_shortened_keeping_the_extension():
    name = display_name("é" * 300 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


def test_storage_uses_random_names_outside_static(app):
    first = store(app, pdf_bytes(), "../../static/mon relevé.pdf")
    second = store(app, pdf_bytes(), "../../static/mon relevé.pdf")
    assert first[1] == second[1] == "mon relevé.pdf"
    folder = Path(app.config["UPLOAD_FOLDER"]).resolve()
    for storage_name in (first[0], second[0]):
        assert len(storage_name) == 32 and int(storage_name, 16) >= 0
        path = (folder / storage_name).resolve()
        assert path.is_file() and path.parent == folder
        assert Path(app.static_folder).resolve() not in path.parents
    assert first[0] != second[0]
    assert stored_files(app) == sorted([first[0], second[0]])
    assert (folder / first[0]).stat().st_mode & 0o077 == 0  # readable by the app only


def test_storage_names_are_never_paths(app):
    with app.app_context():
        with pytest.raises(ValueError):
            uploads.storage_path("../secret_key")


# --- Policies --------------------------------------------------------------------------------------

def test_policy_hint_and_registry():
    policy = register_policy("essai_registre", max_count=3, max_size=5 * MB, extensions=("pdf", "JPG", ".jpeg", "png"))
    assert policy.extensions == ("pdf", "jpg", "jpeg", "png")
    assert policy.hint() == "3 fichiers maximum, 5 Mo maximum par fichier. Formats acceptés : PDF, JPG, PNG."
    assert policy.hint(1) == "1 fichier maximum, 5 Mo maximum par fichier. Formats acceptés : PDF, JPG, PNG."
    assert policy.accept == ".pdf,.jpg,.jpeg,.png"
    assert uploads.get_policy("essai_registre") is policy
    # Registering again the same limits is harmless (modules are imported once per process, apps many times).
    assert register_policy("essai_registre", max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))
    with pytest.raises(ValueError):
        register_policy("essai_registre", max_count=4, max_size=5 * MB, extensions=("pdf",))
    with pytest.raises(ValueError):
        register_policy("essai_inconnu", max_count=1, max_size=MB, extensions=("exe",))


@pytest.mark.parametrize("num,label", [(5 * MB, "5 Mo"), (MB, "1 Mo"), (1536 * 1024, "1,5 Mo"), (800 * 1024, "800 ko")])
def test_size_labels(num, label):
    assert size_label(num) == label


# --- Memory: files are streamed, never read whole -----------------------------------------------------

class SpyStream(io.BufferedReader):
    """A file stream that records the size asked by every read()."""

    def __init__(self, raw):
        super().__init__(raw)
        self.sizes = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


@pytest.mark.parametrize("name,data", [("gros.pdf", pdf_bytes(5 * MB)), ("gros.csv", b"a;b\n" * (5 * MB // 4))])
def test_uploads_are_read_in_bounded_chunks(app, tmp_path, name, data):
    source = tmp_path / "source"
    source.write_bytes(data)
    with source.open("rb", buffering=0) as raw:
        spy = SpyStream(raw)
        with app.test_request_context():
            storage_name, *_ = store_upload(FileStorage(stream=spy, filename=name), ALL_FORMATS)
    assert spy.sizes and all(0 < size <= CHUNK_SIZE for size in spy.sizes), "read() sans taille bornée"
    assert (Path(app.config["UPLOAD_FOLDER"]) / storage_name).read_bytes() == data


@pytest.mark.parametrize("name,data", [("gros.pdf", pdf_bytes(5 * MB)), ("gros.csv", "é;è\n".encode() * (MB // 2)),
                                       ("gros.docx", declared_bomb_docx(uncompressed=20 * MB))])
def test_storing_a_large_file_allocates_little_memory(app, tmp_path, name, data):
    source = tmp_path / "source"
    source.write_bytes(data)
    del data
    with app.test_request_context(), source.open("rb") as stream:
        tracemalloc.start()
        try:
            store_upload(FileStorage(stream=stream, filename=name), ALL_FORMATS)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 1 * MB, f"{peak} octets alloués pour enregistrer {name}"
