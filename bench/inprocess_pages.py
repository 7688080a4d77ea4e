"""In-process CPU per request and SQL statements of every page `make bench` compares with the anchors
(the rows of bench/anchors.py), on a fresh instance with the demo data. To see where a page's time
goes without gunicorn's noise.

    .venv/bin/python bench/inprocess_pages.py                  # every row: ms and queries
    .venv/bin/python bench/inprocess_pages.py --profile Igesa  # and a cProfile of the rows matching
    .venv/bin/python bench/inprocess_pages.py --breakdown      # where the CPU goes: SQL, templates, the rest
    .venv/bin/python bench/inprocess_pages.py --calls          # and Python function calls per request

The breakdown times, exclusively (a lazy load inside a template counts as SQL): the ORM and Core
statements (`Session.execute`, with loading the rows into objects), the templates (pages and
fragments), WTForms forms built; the rest is the request's own Python (Flask, Flask-Login, the
views' logic).
"""
import argparse
import cProfile
import functools
import os
import pstats
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE]

from inprocess_ab import cpu_ms, demo_app  # noqa: E402  (bench/: a fresh demo instance, the best of 5 × 200)


HOST = []


def serve(app):
    """The app on a real socket (werkzeug, one thread), for the bench's login helpers."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


class Breakdown:
    """Exclusive CPU time per kind of work: entering a kind pauses the one running."""

    KINDS = ("sql", "templates", "forms")

    def __init__(self):
        self.spent = dict.fromkeys(self.KINDS, 0.0)
        self.stack = []

    def wrap(self, kind, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            now = time.process_time()
            if self.stack:
                outer, started = self.stack[-1]
                self.spent[outer] += now - started
            self.stack.append((kind, now))
            try:
                return fn(*args, **kwargs)
            finally:
                now = time.process_time()
                self.spent[kind] += now - self.stack.pop()[1]
                if self.stack:
                    self.stack[-1] = (self.stack[-1][0], now)
        return timed

    def install(self):
        import flask.templating
        import jinja2_fragments.flask
        import wtforms.form
        from sqlalchemy.orm import Session

        import core.templating
        Session.execute = self.wrap("sql", Session.execute)
        flask.templating._render = self.wrap("templates", flask.templating._render)
        core.templating.render_block = self.wrap("templates", jinja2_fragments.flask.render_block)
        wtforms.form.BaseForm.__init__ = self.wrap("forms", wtforms.form.BaseForm.__init__)

    def of(self, client, path, headers, calls=300):
        headers = dict(headers, Host=HOST[0])
        for kind in self.KINDS:
            self.spent[kind] = 0.0
        start = time.process_time()
        for _ in range(calls):
            client.get(path, headers=headers)
        total = (time.process_time() - start) / calls * 1000
        parts = {kind: spent / calls * 1000 for kind, spent in self.spent.items()}
        rest = total - sum(parts.values())
        return "   " + "  ".join(f"{kind} {ms:.2f}" for kind, ms in [*parts.items(), ("rest", rest)])


def measure(client, path, headers):
    return cpu_ms(client, path, dict(headers, Host=HOST[0]))


def calls_per_request(client, path, headers, calls=100):
    """Python function calls per request (cProfile's count over `calls` requests)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        client.get(path, headers=dict(headers, Host=HOST[0]))
    profile.disable()
    return pstats.Stats(profile).total_calls / calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", help="profile the rows whose label contains this")
    parser.add_argument("--only", help="measure only the rows whose label contains this")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--breakdown", action="store_true", help="the CPU per kind of work of each row")
    parser.add_argument("--calls", action="store_true",
                        help="the Python function calls per request of each row (does not move with load)")
    args = parser.parse_args()
    from sqlalchemy import event

    import anchors
    app = demo_app(ROOT, "127.0.0.1")
    from extensions import db
    base = serve(app)
    HOST.append(base.split("//")[1])
    notes = []
    rows, _ = anchors.guichet_rows(base, notes, "in-process")
    for note in notes:
        print(note)
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client(use_cookies=False)
    breakdown = None
    if args.breakdown:
        breakdown = Breakdown()
        breakdown.install()
    for r in rows:
        if args.only and args.only.lower() not in r["label"].lower():
            continue
        path, headers = r["paths"][0], r["headers"]
        statements.clear()
        client.get(path, headers=dict(headers, Host=HOST[0]))
        queries = len(statements)
        ms = measure(client, path, headers)
        if args.calls:
            print(f"{ms:5.2f} ms {queries:2d} q {calls_per_request(client, path, headers):6.0f} calls  {r['label']}")
        else:
            print(f"{ms:5.2f} ms {queries:2d} q  {r['label']}")
        if breakdown:
            print(breakdown.of(client, path, headers))
        if args.profile and args.profile.lower() in r["label"].lower():
            for s in statements[:queries]:  # the first request's; measure appended the rest
                print("    SQL", " ".join(s.split())[:160])
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(300):
                client.get(path, headers=dict(headers, Host=HOST[0]))
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime")).print_stats(args.top)
            if os.environ.get("CALLERS"):
                pstats.Stats(profile).sort_stats("cumulative").print_callers(os.environ["CALLERS"])
            if os.environ.get("CALLEES"):
                pstats.Stats(profile).sort_stats("cumulative").print_callees(os.environ["CALLEES"])


if __name__ == "__main__":
    main()
