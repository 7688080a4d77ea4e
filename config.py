"""Default settings. Overridden by instance/config.py, then by environment variables."""
from datetime import timedelta

class Defaults:
    PORTALS = None  # comma-separated portal codes to turn on; None: every portal of core.portals
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: SQLite file under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = None
    SECRET_KEY = None  # generated into instance/secret_key on first run

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "guichet"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    # Idle timeout of an authenticated session; a warning is shown before it.
    SESSION_IDLE_MINUTES = 30
    SESSION_WARNING_MINUTES = 5

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    UPLOAD_FOLDER = None  # instance/uploads by default
    # Where attachments are stored (core/uploads/backends.py): "local" (UPLOAD_FOLDER, one server) or
    # "s3" (an S3-compatible bucket shared by several app servers: MinIO, Ceph, a cloud provider's).
    STORAGE_BACKEND = "local"
    S3_ENDPOINT_URL = None  # e.g. https://minio.exemple.fr; None: AWS
    S3_BUCKET = None
    S3_REGION = None  # us-east-1 when unset
    S3_ACCESS_KEY_ID = None  # None: boto3's own chain (AWS_* variables, instance role)
    S3_SECRET_ACCESS_KEY = None
    UPLOAD_STAGING_FOLDER = None  # s3: where uploads are checked before being sent (default: the system's temp)
    CLAMD_SOCKET = None  # path of clamd's socket; when set, uploads fail closed if unreachable

    MAIL_SERVER = None  # no server: mail stays in the outbox, readable in the dev mailbox
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Guichet <ne-pas-repondre@guichet.example>"
    SMS_SENDER = "core.outbox:LogSmsSender"
    MAIL_TIMEOUT = 10  # seconds for each SMTP operation (connect, greeting, each command)
    SMS_TIMEOUT = 10  # seconds, given to the SMS sender for its calls
    OUTBOX_MAX_ATTEMPTS = 10
    # Retries of a failed delivery: after 30 s, then doubled at each attempt, at most an hour apart.
    OUTBOX_RETRY_SECONDS = 30
    OUTBOX_RETRY_MAX_SECONDS = 3600

    # Background jobs (core.jobs, run by `flask jobs worker`): the queue is in Redis whenever Redis
    # is configured (JOBS_REDIS_URL, by default REDIS_URL: what several servers need), else in
    # instance/jobs.sqlite (JOBS_SQLITE_PATH to move it). JOBS_REDIS_URL = "" forces SQLite.
    JOBS_REDIS_URL = None
    JOBS_SQLITE_PATH = None
    JOBS_QUEUE_NAME = "guichet"
    JOBS_POLL_SECONDS = 2  # the SQLite queue is polled at most this far apart when idle
    # Files added to forms never sent are deleted by the nightly purge once this old.
    UPLOAD_PURGE_AFTER_HOURS = 48
    # Seconds to connect to or wait for Redis (throttling, the job queue) before it is deemed down.
    REDIS_TIMEOUT = 2
    # Seconds to connect to PostgreSQL before it is deemed down (the page answers 503).
    DATABASE_CONNECT_TIMEOUT = 5
    # Retry-After of the 503 page shown while the database or Redis is unreachable.
    UNAVAILABLE_RETRY_AFTER_SECONDS = 30

    DEV_MAILBOX = False
    PREFERRED_URL_SCHEME = "http"
    # Public base URL of the site (https://guichet.example.fr): every link in a mail is built from
    # it, never from the request's Host. Required in production (checked at start).
    PUBLIC_URL = None
    # Host names requests may use; by default the host of PUBLIC_URL (see create_app).
    TRUSTED_HOSTS = None
    PROXY_FIX = False  # set when behind a reverse proxy (X-Forwarded-For and -Proto only)

    # Login throttling (per account and per IP)
    THROTTLE_FREE_FAILURES = 5
    THROTTLE_BASE_DELAY_SECONDS = 60
    THROTTLE_MAX_FAILURES_PER_DAY = 25
    # Mails sent to an address typed in a form (sign-ups, forgotten password, codes, new address):
    # per hour, at most this many per IP address (anonymous) and per address; a logged-in account
    # may cause MAIL_QUOTA_PER_ACCOUNT_PER_HOUR mails (notifications of its actions included).
    MAIL_QUOTA_PER_IP_PER_HOUR = 10
    MAIL_QUOTA_PER_ADDRESS_PER_HOUR = 5
    MAIL_QUOTA_PER_ACCOUNT_PER_HOUR = 200

    TOKEN_VALIDITY_HOURS = 12
    # Server-side drafts (core.drafts) untouched for longer are dropped.
    DRAFT_RETENTION_DAYS = 30
    # Level of the log lines written to stderr (core.logs): DEBUG, INFO, WARNING, ERROR.
    LOG_LEVEL = "INFO"
    # Absolute lifetime of a login session, whatever the activity (OWASP ASVS 3.3.2).
    SESSION_ABSOLUTE_HOURS = 12
