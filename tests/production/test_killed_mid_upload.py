"""A web worker killed in the middle of an upload (issue 12): nothing is half-created — no request,
no history, no attachment row, no stored file — and the files a form had already stored, now
abandoned, are deleted by the periodic purge job (`purge_uploads` of core.jobs, run here through
`flask jobs run`, as the job worker does each night)."""
import http.client
import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from extensions import db
from models import Attachment, PartnerRequest, StoredFile
from models.case_event import CaseEvent
from tests.components.test_attachments_content import pdf_bytes
from tests.partenaires.test_new_request import enter, valid
from tests import factories
from tests.production.helpers import ROOT, app_environment, free_port, wait_until

pytestmark = pytest.mark.slow
NEW = "/partenaires/demandes/nouvelle/4"


def _children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _stored_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


class Http:
    """A browser, reduced: one cookie (the session), the Host the site trusts."""

    def __init__(self, port, cookie):
        self.port, self.cookie = port, cookie

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def get(self, path):
        c = self.connection()
        c.request("GET", path, headers={"Host": "guichet.test", "Cookie": f"guichet={self.cookie}"})
        response = c.getresponse()
        body = response.read().decode()
        match = re.search(r"guichet=([^;]+)", response.getheader("Set-Cookie") or "")
        if match:
            self.cookie = match.group(1)
        return response.status, body


def _multipart(fields, files, boundary="----guichet-essai"):
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    for name, filename, data in files:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                  "Content-Type: application/pdf\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_worker_killed_mid_upload_leaves_nothing_and_the_purge_job_takes_the_orphans(app, login, tmp_path):
    # The web servers and the job worker share the instance folder: its uploads/ is the store.
    app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
    client = app.test_client()
    enter(app, client, login, "martine@example.fr", org_id)
    # « Ajouter » a file (stored at once, waiting for « Valider »): then the form is abandoned.
    added = client.post(NEW, data=valid(4, pieces_jointes=[(io.BytesIO(pdf_bytes()), "ajoute.pdf")],
                                        **{"pieces_jointes-ajouter": "1"}), content_type="multipart/form-data")
    assert added.status_code == 200
    token = re.search(r'name="pieces_jointes-lot" value="([^"]+)"', added.get_data(as_text=True)).group(1)
    with app.app_context():
        assert Attachment.query.filter_by(subject_id=None).count() == 1
    orphans = _stored_files(app)
    assert len(orphans) == 1

    port = free_port()
    env = app_environment(app)
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--timeout", "60",
                               "--bind", f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        browser = Http(port, client.get_cookie("guichet", domain="guichet.test").value)
        wait_until(lambda: _ping(browser), what="gunicorn", timeout=60)
        status, form = browser.get(NEW)
        assert status == 200
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
        csrf_token = next(g for g in csrf.groups() if g)
        submission = re.search(r'name="submission" type="hidden" value="([^"]+)"|name="submission" value="([^"]+)"',
                               form)
        fields = [("csrf_token", csrf_token), ("submission", next(g for g in submission.groups() if g)),
                  ("pieces_jointes-lot", token)]
        fields += [(k, v) for k, v in valid(4).items()]
        body, content_type = _multipart(fields, [("pieces_jointes", "gros.pdf", pdf_bytes(4 * 1024 * 1024))])

        # « Valider » with a 4 MB file: half of it sent, then the worker is killed.
        worker = wait_until(lambda: _children(server.pid), what="gunicorn's worker")[0]
        c = browser.connection()
        c.putrequest("POST", NEW, skip_host=True)
        for name, value in (("Host", "guichet.test"), ("Cookie", f"guichet={browser.cookie}"),
                            ("Content-Type", content_type), ("Content-Length", str(len(body)))):
            c.putheader(name, value)
        c.endheaders()
        c.send(body[:len(body) // 2])
        # The worker has taken the connection off the listening socket and waits for the rest.
        wait_until(lambda: _established(worker) >= 1, what="the worker reading the upload")
        os.kill(worker, signal.SIGKILL)
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            c.send(body[len(body) // 2:])
            c.getresponse().read()
        c.close()

        # Nothing half-created; the abandoned file is still there (its form may come back).
        with app.app_context():
            assert PartnerRequest.query.count() == 0 and CaseEvent.query.count() == 0
            assert [a.original_name for a in Attachment.query.all()] == ["ajoute.pdf"]
        assert _stored_files(app) == orphans
        # gunicorn's new worker serves the next request.
        wait_until(lambda: _ping(browser), what="a new worker")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        log.close()

    # The periodic purge job (files older than UPLOAD_PURGE_AFTER_HOURS; 0 here) takes the orphan.
    result = subprocess.run([sys.executable, "-m", "flask", "jobs", "run", "purge_uploads"], cwd=ROOT,
                            env=app_environment(app, UPLOAD_PURGE_AFTER_HOURS=0), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "purge_uploads: 1" in result.stdout
    with app.app_context():
        assert Attachment.query.count() == 0 and StoredFile.query.count() == 0
    assert _stored_files(app) == []


def _established(pid):
    """TCP connections the process holds (its listening socket excepted)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[9] in inodes and parts[3] == "01":  # ESTABLISHED
                count += 1
    return count


def _ping(browser):
    try:
        return browser.get("/")[0] == 200
    except OSError:
        return False
