"""Version counters of data that pages cache in memory (see core.refcache)."""
from extensions import db


class DataVersion(db.Model):
    """One counter per kind of cached data, bumped in the transaction that changes that data.

    `reference`: organisations, structures, conventions and partner settings. The counter is read
    in the same query as the login session (core.sessions), so a cache keyed by it is fresh at once
    on every server, at no extra query."""
    name = db.Column(db.String(30), primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=0)
