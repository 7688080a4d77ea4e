"""Load run: nginx in front of two gunicorn app servers on PostgreSQL, Redis and an S3 bucket, loaded
by Locust (bench/locustfile.py, headless), then a consistency check; figures into bench/RESULTS.md
(section « Charge », kept apart from the sections bench/run.py writes).

    .venv/bin/pip install -e ".[bench]"          # locust (the test extra brings moto and aiosmtpd)
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py                     # 50 users, 10 minutes
    .venv/bin/python bench/load.py --duration 2m --users 20  # a shorter try

What it starts, all on 127.0.0.1 and all stopped at the end: a PostgreSQL schema of its own
(`flask db upgrade`, communes, `flask demo`; dropped at the end unless --keep), moto's S3 server
(the shared file store), an SMTP server that records every mail it receives (aiosmtpd), two gunicorn
app servers (deploy/gunicorn.conf.py), the job worker (`flask jobs worker`) and nginx (deploy/nginx-guichet.conf, as in
tests/production/test_two_servers.py). The mail quota of an account is raised for the run (the
demo technicians file hundreds of requests an hour); nothing else differs from production.

The consistency check: every submission Locust saw acknowledged (partner requests, MSA messages,
each with a marker in its text) is stored exactly once; every mail of the outbox was received by
the SMTP server exactly once (the job worker delivers them during the run; `flask outbox deliver`
afterwards for those still waiting), and no mail was received that the outbox does not hold."""
import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.production.stack import (VENV_BIN, Stack, base_env, database_url_with_schema, free_port,  # noqa: E402
                                    recreate_schema, stop, wait_for_port)

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Charge : deux serveurs derrière nginx (Locust)"
INSTANCE_CONFIG = "MAIL_QUOTA_PER_ACCOUNT_PER_HOUR = 1_000_000  # bench/load.py: the demo accounts file a lot\n"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


class MailSink:
    """An SMTP server that keeps (recipient, subject) of every mail it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                subject = str(message_from_bytes(envelope.content, policy=policy.default)["subject"] or "")
                with sink.lock:
                    sink.received.extend((rcpt.lower(), subject) for rcpt in envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def app_for(database_url: str, stack: Stack):
    os.environ["GUICHET_INSTANCE_PATH"] = str(stack.instance(0))
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "load", "TESTING": True,
                       "UPLOAD_FOLDER": str(stack.folder / "unused")})


def add_members(database_url: str, stack: Stack, count: int) -> list[str]:
    """`count` MSA members of MSA Gironde besides the demo ones, with the demo password: each
    simulated member has an account of their own (one draft message per account: two users on one
    account would write into the same draft, as two tabs of one person do)."""
    from core import nir as nir_rules
    from extensions import db
    from models import MsaMember, Organisation, Role, User
    app = app_for(database_url, stack)
    nirs = []
    with app.app_context():
        demo = User.query.filter_by(email="msa.adherent@demo.guichet.fr").one()
        fund = Organisation.query.filter_by(portal="msa", code="MSA33").one()
        for n in range(count):
            nir = f"2850733{64 + n // 900:03d}{n % 900 + 100:03d}"
            assert nir_rules.problem(nir) is None, nir
            user = User(email=f"adherent.charge{n}@demo.guichet.fr", role=Role.CITIZEN.value, civility="Mme",
                        first_name="Élise", last_name=f"CHARGE{n}", active=True)
            user.password_hash = demo.password_hash  # the demo password, without hashing it again
            db.session.add(user)
            db.session.add(MsaMember(user=user, nir=nir, birth_date=demo.msa_member.birth_date, organisation=fund))
            nirs.append(nir)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return nirs


def run_locust(stack: Stack, folder: Path, users: int, spawn_rate: float, duration: str, acks: Path,
               members: list[str]) -> int:
    locust = VENV_BIN / "locust"
    if not locust.exists():
        sys.exit("Locust n’est pas installé : .venv/bin/pip install -e \".[bench]\"")
    args = [str(locust), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users), "-r",
            str(spawn_rate), "-t", duration, "--host", stack.nginx, "--csv", str(folder / "locust"), "--only-summary",
            "--stop-timeout", "30", "--loglevel", "WARNING"]
    log("Locust : " + " ".join(args[1:]))
    with (folder / "locust.log").open("wb") as out:
        return subprocess.run(args, cwd=ROOT, env=dict(os.environ, GUICHET_LOAD_ACKS=str(acks),
                                                       GUICHET_LOAD_MEMBERS=",".join(members)),
                              stdout=out, stderr=subprocess.STDOUT).returncode


def read_stats(folder: Path) -> tuple[list[dict], list[dict]]:
    with (folder / "locust_stats.csv").open(encoding="utf-8") as f:
        stats = list(csv.DictReader(f))
    failures_file = folder / "locust_failures.csv"
    failures = list(csv.DictReader(failures_file.open(encoding="utf-8"))) if failures_file.exists() else []
    return stats, failures


def check(database_url: str, acks_file: Path, sink: MailSink, stack: Stack) -> dict:
    """The consistency check, in this process (the app's models on the run's schema)."""
    result = stack.flask("outbox", "deliver")
    log(f"flask outbox deliver : {result.stdout.strip() or result.stderr.strip()}")
    time.sleep(1)  # the SMTP server's last answers
    from extensions import db
    from models import ConversationMessage, OutboxMessage, PartnerRequest
    app = app_for(database_url, stack)
    acks = [json.loads(line) for line in acks_file.read_text(encoding="utf-8").splitlines()] if acks_file.exists() \
        else []
    problems = []
    with app.app_context():
        stored = {"partner_request": Counter(), "msa_message": Counter()}
        for number, comments in db.session.execute(db.select(PartnerRequest.number, PartnerRequest.comments)
                                                   .where(PartnerRequest.comments.contains("de la charge "))):
            stored["partner_request"][comments.split("de la charge ", 1)[1][:16]] += 1
        for (body,) in db.session.execute(db.select(ConversationMessage.body)
                                          .where(ConversationMessage.body.contains("message de la charge "))):
            stored["msa_message"][body.split("message de la charge ", 1)[1][:16]] += 1
        acknowledged = {"partner_request": Counter(), "msa_message": Counter()}
        for ack in acks:
            acknowledged[ack["kind"]][ack["marker"]] += 1
        for kind in acknowledged:
            for marker, n in acknowledged[kind].items():
                if n != 1 or stored[kind][marker] != 1:
                    problems.append(f"{kind} {marker} : acquitté {n} fois, enregistré {stored[kind][marker]} fois")
        unacknowledged = {kind: sum(1 for m in stored[kind] if m not in acknowledged[kind]) for kind in stored}
        outbox = db.session.execute(db.select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
                                              OutboxMessage.status)).all()
        db.session.remove()
        db.engine.dispose()
    emails = [(r.lower(), s) for channel, r, s, status in outbox if channel == "email"]
    not_sent = Counter(status for channel, _, _, status in outbox if channel == "email" and status != "sent")
    if not_sent:
        problems.append(f"courriels non envoyés : {dict(not_sent)}")
    with sink.lock:
        received = Counter(sink.received)
    expected = Counter(emails)
    if received != expected:
        missing, extra = expected - received, received - expected
        problems.append(f"courriels : {sum(missing.values())} jamais reçus, {sum(extra.values())} reçus en trop "
                        f"(doublons ou inconnus de l’outbox)")
    return {"acks": Counter(a["kind"] for a in acks), "unacknowledged": unacknowledged, "emails": len(emails),
            "received": sum(received.values()), "sms": sum(1 for o in outbox if o[0] == "sms"), "problems": problems}


def write_results(args, started: datetime, elapsed: float, stats: list[dict], failures: list[dict], locust_code: int,
                  consistency: dict, notes: list[str]) -> None:
    total = next((s for s in stats if s["Name"] == "Aggregated"), None)
    lines = [HEADING, "",
             f"Produit par `bench/load.py` le {started:%Y-%m-%d %H:%M} UTC (durée totale {elapsed:.0f} s). "
             f"{args.users} utilisateurs simulés (Locust {args.locust_version}, sans interface, {args.spawn_rate} "
             f"nouveaux par seconde) pendant {args.duration}, contre nginx devant deux serveurs gunicorn "
             f"({args.workers} workers sync chacun) sur la même machine, PostgreSQL, Redis, stockage S3 (serveur moto) "
             "et un serveur SMTP local qui compte les courriels. Scénario : `bench/locustfile.py` (techniciens "
             "Espace Partenaires : demandes avec pièces jointes et historique ; adhérents MSA : messages ; agents "
             "CPAM : file et prises en charge). Délai entre deux actions d’un utilisateur : 1 à 3 s.", ""]
    if total:
        lines += ["| requêtes | erreurs | req/s | médiane | p95 | p99 | max |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                  f"| {total['Request Count']} | {total['Failure Count']} | {float(total['Requests/s']):.1f} | "
                  f"{total['50%']} ms | {total['95%']} ms | {total['99%']} ms | {float(total['Max Response Time']):.0f} ms |",
                  "", "Par requête (p95) :", "", "| requête | nombre | erreurs | médiane | p95 | max |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for s in sorted((s for s in stats if s["Name"] != "Aggregated"), key=lambda s: -int(s["Request Count"])):
            lines.append(f"| {s['Type']} `{s['Name']}` | {s['Request Count']} | {s['Failure Count']} | {s['50%']} ms | "
                         f"{s['95%']} ms | {float(s['Max Response Time']):.0f} ms |")
    else:
        lines.append(f"**Aucune statistique Locust** (code de sortie {locust_code}) : voir le journal de la charge.")
    lines += [""]
    if failures:
        lines += ["Erreurs :", ""] + [f"- {f['Method']} `{f['Name']}` × {f['Occurrences']} : {f['Error'][:200]}"
                                      for f in failures] + [""]
    acks = consistency["acks"]
    verdict = "**OK**" if not consistency["problems"] else "**ÉCHEC**"
    lines += [f"Cohérence après la charge : {verdict}. {acks.get('partner_request', 0)} demandes partenaires et "
              f"{acks.get('msa_message', 0)} messages MSA acquittés, chacun enregistré une fois exactement "
              f"(enregistrés sans acquittement : {consistency['unacknowledged']['partner_request']} demandes, "
              f"{consistency['unacknowledged']['msa_message']} messages) ; {consistency['emails']} courriels dans "
              f"l’outbox, {consistency['received']} reçus par le serveur SMTP, chacun une fois"
              f"{' ; SMS : ' + str(consistency['sms']) if consistency['sms'] else ''}."]
    lines += [f"- {p}" for p in consistency["problems"][:20]]
    lines += [f"- Note : {n}" for n in notes]
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if HEADING in text:
        before, _, after = text.partition(HEADING)
        rest = after.split("\n## ", 1)
        text = before + section + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="10m", help="Locust's -t: 10m, 2m, 90s…")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers of each app server")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the schema and the run's folder")
    args = parser.parse_args()
    if not (args.database_url and args.redis_url):
        parser.error("PostgreSQL et Redis sont nécessaires : --database-url/TEST_DATABASE_URL et --redis-url/REDIS_URL")
    import locust
    args.locust_version = locust.__version__
    started, begun = datetime.now(timezone.utc), time.monotonic()
    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="guichet-load-"))
    folder.chmod(0o755)
    schema = f"guichet_load_{os.getpid()}"
    database_url = database_url_with_schema(args.database_url, schema)
    notes: list[str] = []
    moto = None
    stack = None
    try:
        recreate_schema(args.database_url, schema)
        s3_port = free_port()
        moto = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                                stdout=(folder / "moto.log").open("wb"), stderr=subprocess.STDOUT)
        wait_for_port(s3_port, moto)
        from tests.production.conftest import S3Server
        s3 = S3Server(f"http://127.0.0.1:{s3_port}")
        bucket = s3.new_bucket()
        with MailSink() as sink:
            stack = Stack(folder, dict(base_env(), SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database_url,
                                       REDIS_URL=args.redis_url, SESSION_COOKIE_SECURE="0", DEV_MAILBOX="0",
                                       LOG_LEVEL="WARNING", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(sink.port),
                                       MAIL_USE_TLS="0", **s3.settings(bucket)),
                          workers=args.workers, instance_config=INSTANCE_CONFIG)
            for i in range(2):
                stack.instance(i).mkdir(parents=True, exist_ok=True)
                (stack.instance(i) / "config.py").write_text(INSTANCE_CONFIG)
            log(f"Base : schéma {schema} (migrations, communes, démo)…")
            stack.flask("db", "upgrade")
            stack.flask("create-db")
            stack.flask("communes", "load")
            stack.flask("demo")
            members = add_members(database_url, stack, args.users)
            log("nginx et deux serveurs gunicorn…")
            stack.start()
            # The job worker, as in production (deploy/guichet-worker.service): it delivers the mails
            # while the load runs, through the queue the two servers share in Redis.
            with (folder / "worker.log").open("wb") as worker_log:
                stack.processes.append(subprocess.Popen(
                    [str(VENV_BIN / "flask"), "--app", "app:create_app", "jobs", "worker", "--workers", "2"],
                    cwd=ROOT, env=stack.server_env(0), stdout=worker_log, stderr=subprocess.STDOUT))
            acks = folder / "acks.jsonl"
            code = run_locust(stack, folder, args.users, args.spawn_rate, args.duration, acks, members)
            log(f"Locust terminé (code {code}) ; vérification de la cohérence…")
            consistency = check(database_url, acks, sink, stack)
        stats, failures = read_stats(folder)
        notes.append(f"charge moyenne de la machine (1 min, {os.cpu_count()} cœurs, partagée) : {load_before:.1f} "
                     f"avant, {os.getloadavg()[0]:.1f} après ; Locust, nginx, les deux serveurs, PostgreSQL, Redis et "
                     "moto tournent sur ces mêmes cœurs")
        if args.duration != "10m":
            notes.append(f"course raccourcie ({args.duration}) : la course de référence dure 10 minutes "
                         "(`bench/load.py` sans `--duration`)")
        write_results(args, started, time.monotonic() - begun, stats, failures, code, consistency, notes)
        log(f"Écrit dans {RESULTS.relative_to(ROOT)}")
        print((folder / "locust.log").read_text(errors="replace")[-4000:])
        for problem in consistency["problems"]:
            log("INCOHÉRENCE : " + problem)
        return 0 if not consistency["problems"] else 1
    finally:
        if stack is not None:
            stack.close()
        if moto is not None:
            stop(moto)
        if args.keep:
            log(f"Gardés : {folder}, schéma {schema}")
        else:
            recreate_schema(args.database_url, schema, drop_only=True)
            import shutil
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
