"""URLs that leave the site (links in mails) and URLs that come back in (`next`).

Links in mails are built from the configured PUBLIC_URL, never from the request's Host or
X-Forwarded-Host: a forged header must not put a stranger's host, with a valid token, into a mail.
Redirect targets are normalised the way a browser reads them before being checked."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

# Browsers drop tabs and newlines anywhere in a URL (then any other space or control is refused).
_STRIPPED_BY_BROWSERS = re.compile(r"[\t\n\r]")


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute URL of `endpoint` on the public site (for mails)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def public_host() -> str:
    return urlsplit(current_app.config["PUBLIC_URL"]).netloc


def safe_next(target: str | None) -> str | None:
    """A same-site path to redirect to, or None. The value is read as a browser would (tabs and
    newlines removed, backslashes as slashes), and must then be a path with no scheme, no host and
    no control character or space: `/%09/evil.example` or `/\\evil` never become `//evil…`."""
    if not target or len(target) > 2000:
        return None
    normalised = _STRIPPED_BY_BROWSERS.sub("", target).replace("\\", "/")
    if any(ch.isspace() or not ch.isprintable() for ch in normalised):
        return None
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    # Percent-encoded tabs or slashes can be decoded by an intermediary: refuse them at the start.
    if re.match(r"/(%(09|0a|0d|2f|5c|20|00))", normalised, re.IGNORECASE):
        return None
    return normalised
