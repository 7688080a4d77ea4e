"""Where stored files live: one interface, two backends, chosen by STORAGE_BACKEND.

- "local" (the default): files in UPLOAD_FOLDER, on this server's disk.
- "s3": objects in an S3-compatible bucket (S3_BUCKET at S3_ENDPOINT_URL, keys S3_ACCESS_KEY_ID and
  S3_SECRET_ACCESS_KEY, or boto3's own chain when unset: environment, instance role), through
  boto3. What several app servers share. Uploads are first written to a temporary file (their
  content is checked and scanned there), then streamed to the bucket in parts (never whole in
  memory); downloads are streamed from the bucket.

Names are the random 32-hex-digit storage names of `StoredFile` (checked here, whatever the backend):
nothing a user typed ever becomes a path or a key."""
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import Flask, current_app

STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")
_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
S3_PART_SIZE = 8 * 1024 * 1024  # multipart above this size, in parts of this size (S3's minimum is 5 MB)


def checked(storage_name: str) -> str:
    if not STORAGE_NAME.match(storage_name or ""):
        raise ValueError("bad storage name")
    return storage_name


class Backend(Protocol):
    def staging_path(self, storage_name: str) -> Path:
        """Where `store_upload` writes a new file while it checks it."""

    def commit_staged(self, storage_name: str, path: Path) -> None:
        """Keep the checked file written at `staging_path` under `storage_name`."""

    def put_bytes(self, storage_name: str, content: bytes) -> None: ...

    def exists(self, storage_name: str) -> bool: ...

    def open(self, storage_name: str) -> BinaryIO:
        """A binary stream of the file (raises FileNotFoundError)."""

    def open_sized(self, storage_name: str) -> tuple[BinaryIO, int]: ...

    def delete(self, storage_name: str) -> bool:
        """Delete the file; False when there was none."""

    def rename(self, old: str, new: str) -> None: ...

    def listing(self) -> Iterator[tuple[str, float]]:
        """(storage name, modification time as a timestamp) of every stored file."""


class LocalBackend:
    """Files in one folder of this server's disk (UPLOAD_FOLDER)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, storage_name: str) -> Path:
        return self.folder / checked(storage_name)

    def staging_path(self, storage_name: str) -> Path:
        return self.path(storage_name)

    def commit_staged(self, storage_name: str, path: Path) -> None:
        pass  # written in place

    def put_bytes(self, storage_name: str, content: bytes) -> None:
        with os.fdopen(os.open(self.path(storage_name), _EXCLUSIVE, 0o600), "wb") as out:
            out.write(content)

    def exists(self, storage_name: str) -> bool:
        return self.path(storage_name).is_file()

    def open(self, storage_name: str) -> BinaryIO:
        return self.path(storage_name).open("rb")

    def open_sized(self, storage_name: str) -> tuple[BinaryIO, int]:
        stream = self.open(storage_name)
        return stream, os.fstat(stream.fileno()).st_size

    def delete(self, storage_name: str) -> bool:
        try:
            self.path(storage_name).unlink()
        except FileNotFoundError:
            return False
        return True

    def rename(self, old: str, new: str) -> None:
        os.replace(self.path(old), self.path(new))

    def listing(self) -> Iterator[tuple[str, float]]:
        for path in self.folder.iterdir():
            if STORAGE_NAME.match(path.name):
                yield path.name, path.stat().st_mtime


class _Body:
    """A download streamed from the bucket: read() in chunks, close() (what send_file needs)."""

    def __init__(self, body):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size if size >= 0 else None)

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class S3Backend:
    """Objects in an S3-compatible bucket, one per stored file, keyed by the storage name."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 staging_folder: str | None = None):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config
        self.bucket = bucket
        self.staging_folder = Path(staging_folder or tempfile.gettempdir())
        # Made when the app is (in gunicorn's master, as it preloads the app): the session keeps
        # botocore's S3 model, read once (about 12 MB of Python objects, shared by the forked workers);
        # each process then makes its own client from it, cheaply (a client is not shared across a fork).
        self._session = boto3.session.Session()
        self._client_args = dict(
            endpoint_url=endpoint_url, region_name=region or "us-east-1",
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"},  # MinIO, Ceph and most others: no DNS per bucket
                          # A checksum only where S3 requires one: S3-compatible servers differ there.
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))
        self._clients: dict[int, Any] = {}
        self.client  # noqa: B018  (made now: the model is read here, not during a user's upload)
        # One part at a time, read from the file as it is sent: a 50 MB upload costs one buffer.
        self.transfer = TransferConfig(multipart_threshold=S3_PART_SIZE, multipart_chunksize=S3_PART_SIZE,
                                       use_threads=False)

    @property
    def client(self) -> Any:
        pid = os.getpid()
        if pid not in self._clients:
            self._clients = {pid: self._session.client("s3", **self._client_args)}
        return self._clients[pid]

    def _missing(self, error) -> bool:
        return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def staging_path(self, storage_name: str) -> Path:
        self.staging_folder.mkdir(parents=True, exist_ok=True)
        return self.staging_folder / f"guichet-upload-{checked(storage_name)}"

    def commit_staged(self, storage_name: str, path: Path) -> None:
        # From the file's name (not an open stream): s3transfer then reads each part from disk as it
        # sends it, where a stream's parts would be read into memory first.
        self.client.upload_file(str(path), self.bucket, checked(storage_name), Config=self.transfer)
        path.unlink(missing_ok=True)

    def put_bytes(self, storage_name: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=checked(storage_name), Body=content)

    def exists(self, storage_name: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self.client.head_object(Bucket=self.bucket, Key=checked(storage_name))
        except ClientError as error:
            if self._missing(error):
                return False
            raise
        return True

    def open_sized(self, storage_name: str) -> tuple[BinaryIO, int]:
        from botocore.exceptions import ClientError
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=checked(storage_name))
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(storage_name) from None
            raise
        return _Body(answer["Body"]), int(answer["ContentLength"])

    def open(self, storage_name: str) -> BinaryIO:
        return self.open_sized(storage_name)[0]

    def delete(self, storage_name: str) -> bool:
        if not self.exists(storage_name):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=checked(storage_name))
        return True

    def rename(self, old: str, new: str) -> None:
        self.client.copy_object(Bucket=self.bucket, Key=checked(new),
                                CopySource={"Bucket": self.bucket, "Key": checked(old)})
        self.client.delete_object(Bucket=self.bucket, Key=checked(old))

    def listing(self) -> Iterator[tuple[str, float]]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", ()):
                if STORAGE_NAME.match(item["Key"]):
                    yield item["Key"], item["LastModified"].timestamp()


def make_backend(config: Mapping[str, Any]) -> Backend:
    kind = (config.get("STORAGE_BACKEND") or "local").lower()
    if kind == "local":
        return LocalBackend(config["UPLOAD_FOLDER"])
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 demande S3_BUCKET (et S3_ENDPOINT_URL hors AWS).")
        return S3Backend(config["S3_BUCKET"], endpoint_url=config.get("S3_ENDPOINT_URL"),
                         region=config.get("S3_REGION"), access_key_id=config.get("S3_ACCESS_KEY_ID"),
                         secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
                         staging_folder=config.get("UPLOAD_STAGING_FOLDER"))
    raise RuntimeError(f"STORAGE_BACKEND inconnu : {kind!r} (local ou s3).")


def init_app(app: Flask) -> None:
    """Check the storage settings when the app is made (a wrong one stops it from starting) and
    make the S3 backend then."""
    if (app.config.get("STORAGE_BACKEND") or "local").lower() != "local":
        app.extensions["guichet_storage"] = (_key(app.config), make_backend(app.config))
    else:
        make_backend(app.config)


def _key(config: Mapping[str, Any]) -> tuple:
    return tuple(config.get(name) for name in ("STORAGE_BACKEND", "S3_BUCKET", "S3_ENDPOINT_URL"))


def backend() -> Backend:
    """The current app's backend: the folder UPLOAD_FOLDER, or the S3 backend made with the app."""
    config = current_app.config
    if (config.get("STORAGE_BACKEND") or "local").lower() == "local":
        return LocalBackend(config["UPLOAD_FOLDER"])
    made = current_app.extensions.get("guichet_storage")
    if made is None or made[0] != _key(config):  # settings changed since (tests)
        made = (_key(config), make_backend(config))
        current_app.extensions["guichet_storage"] = made
    return made[1]
