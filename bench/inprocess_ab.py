"""In-process CPU per request of logged-in pages (the best of 5 rounds of 200 requests, process
time), on a fresh instance with the demo data: to compare two checkouts precisely, whatever the
machine's noise (the gunicorn figures of run.py vary by 10-30 % between runs on this VM).

    .venv/bin/python bench/inprocess_ab.py .                 # this checkout
    /tmp/old/.venv/bin/python bench/inprocess_ab.py /tmp/old # another one, with its own venv
"""
import os
import re
import sys
import tempfile
import time

PASSWORD = "Guichet-Demo-2026"
HX = {"HX-Request": "true"}
WRITING = "/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales"


def csrf(body):
    return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()


def login(app, email):
    client = app.test_client()
    body = client.get("/compte/connexion").data
    answer = client.post("/compte/connexion", data={"csrf_token": csrf(body), "email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


def clients(app):
    tech = login(app, "martine.lapierre@demo.guichet.fr")
    body = tech.get("/partenaires/organisme").data
    options = {name.decode().replace("&#39;", "'").rstrip(" *"): value.decode() for value, name in
               re.findall(rb'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', body)}
    answer = tech.post("/partenaires/organisme", data={"csrf_token": csrf(body), "organisation": options["CPAM GIRONDE"]})
    assert answer.status_code == 302
    member = app.test_client()
    body = member.get("/msa/connexion").data
    answer = member.post("/msa/connexion", data={"csrf_token": csrf(body), "nir": "2850733063123", "password": PASSWORD})
    assert answer.status_code == 302
    return tech, member, login(app, "agent.cpam33@demo.guichet.fr"), login(app, "jean.moreau@demo.guichet.fr")


def cpu_ms(client, url, headers, rounds=5, calls=200):
    for _ in range(30):
        answer = client.get(url, headers=headers)
    assert answer.status_code == 200, (url, answer.status_code)
    best = None
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            client.get(url, headers=headers)
        spent = time.process_time() - start
        best = spent if best is None else min(best, spent)
    return best / calls * 1000


def demo_app(root, host="localhost"):
    """The checkout at `root` as an app on a fresh instance: migrated, communes and demo data loaded."""
    os.chdir(root)
    sys.path.insert(0, root)
    os.environ.update(GUICHET_INSTANCE_PATH=tempfile.mkdtemp(), GUICHET_PUBLIC_URL=f"http://{host}",
                      GUICHET_DEV_MAILBOX="1", TRUSTED_HOSTS=host)
    from app import create_app
    app = create_app()
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["communes", "load"], ["demo"]):
        runner.invoke(args=args)
    return app


def main():
    app = demo_app(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "."))
    tech, member, agent, citizen = clients(app)
    cases = [
        ("Historique, page", tech, "/partenaires/demandes", {}),
        ("Historique, fragment", tech, "/partenaires/demandes", dict(HX, **{"HX-Target": "historique-resultats"})),
        ("Fiche d'identification", tech, "/partenaires/fiche", {}),
        ("MSA cascade : motifs", member, WRITING, dict(HX, **{"HX-Target": "msg-etapes"})),
        ("MSA étape de rédaction", member, WRITING + "&reason=dossier", dict(HX, **{"HX-Target": "msg-etapes"})),
        ("File d'attente agent", agent, "/agent/partenaires/", {}),
        ("Démo composants", citizen, "/composants/demo", {}),
    ]
    for label, client, url, headers in cases:
        print(f"{label}\t{cpu_ms(client, url, headers):.2f} ms")


if __name__ == "__main__":
    main()
