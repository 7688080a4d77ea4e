"""Fixtures of the production tests: real servers started as subprocesses on free ports of 127.0.0.1
(moto's standalone S3 server here; nginx and gunicorn in test_two_servers.py), stopped at the end."""
import os
import secrets
import subprocess

import pytest

from tests.production.stack import VENV_BIN, free_port, stop, wait_for_port


class S3Server:
    """moto's standalone S3-compatible server (moto[server]), in memory, one per test session."""

    access_key = "guichet-test"
    secret_key = "guichet-test-secret"

    def __init__(self, url: str):
        self.url = url

    def client(self):
        import boto3
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def new_bucket(self) -> str:
        name = f"guichet-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        return sorted(item["Key"] for item in self.client().list_objects_v2(Bucket=bucket).get("Contents", ()))

    def settings(self, bucket: str) -> dict:
        """The app's settings for this bucket (as STORAGE_BACKEND=s3 and S3_* would set them)."""
        return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": self.url, "S3_BUCKET": bucket,
                "S3_ACCESS_KEY_ID": self.access_key, "S3_SECRET_ACCESS_KEY": self.secret_key}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        wait_for_port(port, process)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        stop(process)
