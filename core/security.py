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


def init_app(app):
    @app.after_request
    def set_security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint == "static":
            # URLs are versioned (?v=<hash>) so a year is safe.
            h["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            h.add("Vary", "HX-Request")
            h.add("Vary", "Cookie")
            if current_user.is_authenticated or "no-store" in (h.get("Cache-Control") or ""):
                h["Cache-Control"] = "no-store"
            else:
                h.setdefault("Cache-Control", "no-cache")
        return response
