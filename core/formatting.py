"""French formats, defined once and registered as Jinja filters (core.templating): dates and times
are stored in UTC and always shown in Paris time, as seed 002 writes them (« 15/02/2022 14h11min »)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


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


def filesize(num: int) -> str:
    """Size in French notation: '1,2 Mo', '830 ko'."""
    if num < 1024:
        return f"{num} octets"
    if num < 1024 * 1024:
        return f"{round(num / 1024):d} ko"
    return f"{num / (1024 * 1024):.1f} Mo".replace(".", ",")


FILTERS = {"fr_date": fr_date, "fr_datetime": fr_datetime, "filesize": filesize}
