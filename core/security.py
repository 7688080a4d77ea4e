"""Security headers on every response (pages, fragments, errors, static files)."""
from flask import request
from flask_login import current_user

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


def init_app(app):
    session_cookie = app.config["SESSION_COOKIE_NAME"]

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
        h.add("Vary", "HX-Request, Cookie")
        # Only a request carrying a session cookie can be a logged-in user's: don't load a user otherwise.
        logged_in = request.cookies.get(session_cookie) and current_user.is_authenticated
        cache_control = h.get("Cache-Control")
        if logged_in or (cache_control and "no-store" in cache_control):
            h["Cache-Control"] = "no-store"
        elif cache_control is None:
            h.add("Cache-Control", "no-cache")
        return response
