"""How many sign-up emails can be asked for: the platform's mail quotas (core.throttle), per IP
address and per address typed, shared with the account area's mails. A sign-up's own resends are
also counted by the sign-up (models.msa.MsaSignup.renew).

Every sign-up or resend counts once, whatever was emailed: a code, or the notice that the NIR or the
address already has an account (plus the warning to the NIR's owner). Counting emails instead would
make the limit come sooner for registered numbers, which would tell who is registered."""
from core.throttle import mail_quota_wait, wait_minutes

IP_LIMIT_SETTING = "MAIL_QUOTA_PER_IP_PER_HOUR"  # config.py


def take(address):
    """Count one sign-up email to `address`; 0 when it may go, else the seconds to wait."""
    return mail_quota_wait(address)


def wait_message(seconds):
    return (f"Trop de codes d’inscription ont été demandés pour cette adresse ou depuis votre connexion "
            f"internet. Réessayez dans {wait_minutes(seconds)}.")
