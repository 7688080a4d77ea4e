"""How many sign-up emails one IP address can ask for (nobody floods an address, or many, from one
connection). A sign-up's own resends are counted by the sign-up (models.msa.MsaSignup.renew).

The count lives on the login throttle's store (core.throttle: the `throttle_failure` table, or Redis
when REDIS_URL is set, so that every worker and server shares it), as timestamps under a key of its own.

Every sign-up or resend counts once, whatever was emailed: a code, or the notice that the NIR or the
address already has an account (plus the warning to the NIR's owner). Counting emails instead would
make the limit come sooner for registered numbers, which would tell who is registered."""
import math

from flask import current_app, request

from core.throttle import get_throttle, ip_key

IP_WINDOW_SECONDS = 3600
IP_LIMIT_SETTING = "MSA_SIGNUP_EMAILS_PER_IP_PER_HOUR"  # config.py


def _times(key, window):
    """(now, timestamps of the events of `key` within the last `window` seconds, oldest first)."""
    throttle = get_throttle()
    now = throttle.clock()
    return now, [t for t in throttle.store.failures(key, now) if t > now - window]


def _record(key):
    throttle = get_throttle()
    throttle.store.add(key, throttle.clock())


def _ip_key():
    return "msa-signup-mail:" + ip_key(request.remote_addr)


def emails_per_ip():
    return max(1, int(current_app.config[IP_LIMIT_SETTING]))


def ip_wait_seconds():
    """Seconds before this IP address may have another sign-up email sent (0 = now)."""
    limit = emails_per_ip()
    now, times = _times(_ip_key(), IP_WINDOW_SECONDS)
    if len(times) < limit:
        return 0
    # Allowed again once enough of the oldest events are an hour old to leave limit - 1.
    return max(1, math.ceil(times[len(times) - limit] + IP_WINDOW_SECONDS - now))


def ip_wait_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return (f"Trop de codes d’inscription ont été demandés depuis votre connexion internet. "
            f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.")


def record_email():
    """Count one sign-up email for this IP address. Call it after the commit that queued the email
    (the database store commits on its own)."""
    _record(_ip_key())
