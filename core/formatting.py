"""French formats, defined once and registered as Jinja filters (core.templating): dates and times
are stored in UTC and always shown in Paris time, as seed 002 writes them (« 15/02/2022 14h11min »)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bleach.callbacks import nofollow
from bleach.linkifier import Linker
from markupsafe import Markup, escape

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"


def fr_date(value: date | datetime | None) -> str:
    """« 15/02/2022 » (a datetime is read in Paris time first); « — » when there is none."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
    return value.strftime("%d/%m/%Y")


def fr_datetime(value: datetime | None) -> str:
    """« 15/02/2022 14h11min », in Paris time; « — » when there is none."""
    if value is None:
        return "—"
    return value.astimezone(PARIS).strftime("%d/%m/%Y %Hh%Mmin")


def fr_amount(value: Decimal | float | int | str | None, cents: bool = False) -> str:
    """An amount in euros as French readers write it: « 1 234,56 € », with no-break spaces so that
    it never wraps. `cents=True`: `value` is a whole number of cents. "" for None or "" ."""
    if value is None or value == "":
        return ""
    amount = Decimal(value) / 100 if cents else Decimal(str(value))
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, decimals = f"{abs(amount):,.2f}".partition(".")
    sign = "-" if amount < 0 else ""
    return sign + whole.replace(",", NBSP) + "," + decimals + NBSP + "€"


def fold_text(text: str | None) -> str:
    """Upper case without accents: « Éloïse » -> « ELOISE ». Sort keys are stored folded so that
    names sort alike on SQLite (binary collation) and PostgreSQL (locale-dependent), from an index;
    searches fold what was typed with this same function (core.queue.fold_search)."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("œ", "oe").replace("Œ", "OE")
                                       .replace("æ", "ae").replace("Æ", "AE"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))).upper()


def filesize(num: int) -> str:
    """Size in French notation: '1,2 Mo', '830 ko'."""
    if num < 1024:
        return f"{num} octets"
    if num < 1024 * 1024:
        return f"{round(num / 1024):d} ko"
    return f"{num / (1024 * 1024):.1f} Mo".replace(".", ",")


# Web addresses written in full (http:// or https://, then any host: a domain under any top-level
# domain, or an IP address), ending before the punctuation that follows them in a sentence.
_URL = re.compile(r"https?://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]]", re.IGNORECASE)
_LINKER = Linker(url_re=_URL, parse_email=False, callbacks=[nofollow])


def linkify_html(html: str) -> Markup:
    """`html` (already safe) with its web addresses made links."""
    return Markup(_LINKER.linkify(str(html)))


def linkify(text: str | None) -> Markup:
    """User text shown as text (every character escaped, line breaks kept by the `user-text`
    style) with its web addresses as links that open nothing by themselves."""
    text = text or ""
    if "://" not in text and "\x00" not in text:
        # No address to make a link of: what the linker gives back is the escaped text itself,
        # its line breaks normalised as an HTML parser does (CR LF and CR become LF); it is not
        # parsed (about 185 calls per text). NUL is the only other character the parser changes.
        return escape(text.replace("\r\n", "\n").replace("\r", "\n"))
    return linkify_html(escape(text))


FILTERS = {"fr_date": fr_date, "fr_datetime": fr_datetime, "fr_amount": fr_amount, "filesize": filesize,
           "linkify": linkify}
