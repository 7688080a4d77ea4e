"""Security headers on every response (pages, fragments, errors, static files), and the signed
CSRF token reused within a session."""
from flask import Flask, g, request, session
from flask_wtf.csrf import generate_csrf

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
])


# Set on every response and by nothing else, so they are appended without a lookup.
FIXED_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]


CSRF_CACHE_SIZE = 10_000


def init_app(app: Flask) -> None:
    session_cookie = app.config["SESSION_COOKIE_NAME"]
    if app.config.get("WTF_CSRF_TIME_LIMIT") is None:
        _reuse_signed_csrf_tokens(app)
    _csrf_token_global(app)

    @app.after_request
    def set_security_headers(response):
        h = response.headers
        if "Content-Security-Policy" not in h:  # a download sets a stricter one of its own
            h.add("Content-Security-Policy", CSP)
        h.extend(FIXED_HEADERS)
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint == "static":
            # URLs are versioned (?v=<hash>) so a year is safe.
            h["Cache-Control"] = "public, max-age=31536000, immutable"
            return response
        if request.endpoint == "main.favicon":  # the same for everyone: its own cache time stays
            return response
        h.add("Vary", "HX-Request, Cookie")
        # A response to a request with a session cookie (a logged-in user's, a sign-up in progress)
        # or that sets one is personal: never stored by a browser or a proxy.
        cache_control = h.get("Cache-Control")
        if (request.cookies.get(session_cookie) or session.modified
                or (cache_control and "no-store" in cache_control)):
            h["Cache-Control"] = "no-store"
        elif cache_control is None:
            h.add("Cache-Control", "no-cache")
        return response


def _csrf_token_global(app: Flask) -> None:
    """The templates' csrf_token(): Flask-WTF's generate_csrf, which keeps the request's signed
    token in `g` once made and gives it again at every later call, but only after reading its
    settings from the config each time (~30 calls; a page calls it for its layout, htmx headers
    and every form). Here `g` is read first; the token and its checking are unchanged."""
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def csrf_token() -> str:
        token = g.get(field)
        return token if token is not None else generate_csrf()

    # Flask-WTF gives its own as a global and through a context processor: both are replaced (a
    # context processor registered after its one wins).
    app.jinja_env.globals["csrf_token"] = csrf_token
    ours = {"csrf_token": csrf_token}
    app.context_processor(lambda: ours)


def _reuse_signed_csrf_tokens(app: Flask) -> None:
    """Flask-WTF signs the session's CSRF token again on every page (an HMAC and a serializer
    built each time). With WTF_CSRF_TIME_LIMIT = None the signature carries no expiry to renew:
    the value signed once for a session token is given again to its later pages (Flask-WTF
    reads it from `g`), and checking is unchanged."""
    signed: dict[str, str] = {}
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    @app.before_request
    def reuse_signed_csrf():
        raw = session.get(field)
        if raw is not None:
            token = signed.get(raw)
            if token is not None:
                setattr(g, field, token)

    @app.after_request
    def keep_signed_csrf(response):
        raw, token = session.get(field), g.get(field)
        if raw is not None and token is not None and raw not in signed:
            if len(signed) >= CSRF_CACHE_SIZE:
                signed.clear()
            signed[raw] = token
        return response
