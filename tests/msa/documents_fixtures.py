"""Fixtures of « Nous envoyer un document » (imported by tests/msa/test_documents*.py): two MSA funds
with an agent each, members Jeanne and Paul of MSA Gironde, and helpers walking the wizard."""
import io

import pytest

from extensions import db
from models import MsaMember
from tests import factories
from tests.components.test_attachments_content import jpeg_bytes, pdf_bytes, png_bytes

BASE = "/msa/documents"
SEND = BASE + "/envoi/"
STEP = SEND + "{}"

__all__ = ["BASE", "SEND", "STEP", "jpeg_bytes", "pdf_bytes", "png_bytes"]


@pytest.fixture
def world(app):
    return make_world(app)


def make_world(app):
    """MSA Gironde (agents Alice and Bruno) and MSA Nord (agent Nadia); members Jeanne and Paul of Gironde."""
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        other = factories.organisation(portal="msa", code="MSA59", name="MSA Nord-Pas-de-Calais")
        alice = factories.user(email="agent@example.fr", role="agent", organisation=org, first_name="Alice",
                               last_name="Durand")
        bruno = factories.user(email="agent2@example.fr", role="agent", organisation=org, first_name="Bruno",
                               last_name="Petit")
        nadia = factories.user(email="agent-nord@example.fr", role="agent", organisation=other, first_name="Nadia")
        jeanne = factories.user(email="jeanne@example.fr", first_name="Jeanne", last_name="Lacoste")
        paul = factories.user(email="paul@example.fr", first_name="Paul", last_name="Roux")
        db.session.add(MsaMember(user=jeanne, nir="2850733063001", organisation=org))
        db.session.add(MsaMember(user=paul, nir="1850733063002", organisation=org))
        db.session.commit()
        return {"org": org.id, "other": other.id, "alice": alice.id, "bruno": bruno.id, "nadia": nadia.id,
                "jeanne": jeanne.id, "paul": paul.id}


def client_of(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def jeanne(app, login, world):
    return client_of(app, login, "jeanne@example.fr")


@pytest.fixture
def paul(app, login, world):
    return client_of(app, login, "paul@example.fr")


@pytest.fixture
def agent(app, login, world):
    return client_of(app, login, "agent@example.fr")


@pytest.fixture
def agent_nord(app, login, world):
    return client_of(app, login, "agent-nord@example.fr")


def post_step(client, step, data, **kwargs):
    return client.post(STEP.format(step), data=data, **kwargs)


def information(count, natures=("avis-imposition", "bulletin-salaire"), person="Jeanne LACOSTE",
                reason="Déclaration de mes ressources"):
    data = {"suivant": "1"}
    for n in range(1, count + 1):
        data.update({f"nature_{n}": natures[(n - 1) % len(natures)], f"personne_{n}": person,
                     f"motif_{n}": f"{reason} ({n})"})
    return data


def lot_of(client, step="fichiers"):
    """The signed token of step 4's upload set, from the page."""
    from bs4 import BeautifulSoup
    html = client.get(STEP.format(step)).get_data(as_text=True)
    return BeautifulSoup(html, "html.parser").select_one("input[name=justificatifs-lot]")["value"]


def upload(client, code, name, content, lot):
    """« Ajouter » a file to one named slot without JavaScript (the step again, 200)."""
    return post_step(client, "fichiers", {"justificatifs-lot": lot, "justificatifs-ajouter": code,
                                          f"justificatifs-fichier-{code}": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def walk_to_files(client, count=2, subject="ressources", **info):
    """Steps 1 to 3 passed: the member is on « Ajout d'un fichier »."""
    assert post_step(client, "objet", {"subject": subject, "suivant": "1"}).status_code == 303
    assert post_step(client, "nombre", {"count": str(count), "suivant": "1"}).status_code == 303
    response = post_step(client, "informations", information(count, **info))
    assert response.status_code == 303 and response.headers["Location"].endswith("/fichiers")


def fill_files(client, count=2, per_document=2):
    lot = lot_of(client)
    for n in range(1, count + 1):
        for f in range(1, per_document + 1):
            content = pdf_bytes(1500 + 10 * n + f) if f == 1 else png_bytes()
            name = f"doc{n}-page{f}.pdf" if f == 1 else f"doc{n}-page{f}.png"
            assert upload(client, f"document-{n}-fichier-{f}", name, content, lot).status_code == 200
    return lot


def send_form(client, lot, attest=True):
    from bs4 import BeautifulSoup
    html = client.get(STEP.format("fichiers")).get_data(as_text=True)
    token = BeautifulSoup(html, "html.parser").select_one("input[name=submission]")["value"]
    data = {"justificatifs-lot": lot, "submission": token, "suivant": "1"}
    if attest:
        data["attest"] = "y"
    return data


def send_all(client, count=2, per_document=2):
    walk_to_files(client, count)
    lot = fill_files(client, count, per_document)
    return post_step(client, "fichiers", send_form(client, lot))
