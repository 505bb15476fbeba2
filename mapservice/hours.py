"""Opening hours in the OpenStreetMap ``opening_hours`` syntax: validate, evaluate, describe.

Evaluation uses opening-hours-py (a maintained parser of the OSM grammar) with China's public
holiday calendar, so ``PH off`` means closed on 国庆, 春节 and the other statutory holidays.
Times are local (Asia/Shanghai) wall-clock times; an aware datetime is converted first.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from opening_hours import OpeningHours, ParserError

from .i18n import t

log = logging.getLogger(__name__)
CHINA_TIME = timezone(timedelta(hours=8))
_ZH_WORDS = [
    (r"\bMo\b", "周一"), (r"\bTu\b", "周二"), (r"\bWe\b", "周三"), (r"\bTh\b", "周四"), (r"\bFr\b", "周五"),
    (r"\bSa\b", "周六"), (r"\bSu\b", "周日"), (r"\bPH\b", "法定节假日"), (r"\bSH\b", "学校假期"),
    (r"\boff\b", "闭馆"), (r"\bclosed\b", "闭馆"),
    *[(rf"\b{m}\b", f"{i}月") for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)],
]
_EN_DAYS = {"Mo": "Mon", "Tu": "Tue", "We": "Wed", "Th": "Thu", "Fr": "Fri", "Sa": "Sat", "Su": "Sun",
            "PH": "public holidays", "SH": "school holidays", "off": "closed"}


@lru_cache(maxsize=4096)
def parse(expression: str) -> OpeningHours:
    """Parse an expression; raises ValueError with the parser's reason when it is not valid."""
    try:
        return OpeningHours(expression, country="CN")
    except ParserError as exc:
        log.debug("opening hours %r: %s", expression, exc)
        raise ValueError("not in OpenStreetMap opening_hours syntax, e.g. Tu-Su 09:00-17:00; PH off") from None


def local_time(moment: datetime) -> datetime:
    """A naive China-local wall-clock time for ``moment`` (aware times are converted)."""
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def is_open(expression: str | None, moment: datetime) -> bool:
    """True when the place is open at ``moment``; unknown or invalid hours count as not open."""
    if not expression:
        return False
    try:
        return parse(expression).is_open(local_time(moment))
    except ValueError:
        return False


@lru_cache(maxsize=4096)
def describe(expression: str | None, lang: str = "zh") -> str | None:
    """The hours in words, e.g. ``周二至周日 09:00-17:00；法定节假日闭馆``."""
    if not expression:
        return None
    text = expression.strip()
    if text == "24/7":
        return t("open_24_7", lang)
    if lang == "en":
        for code, word in _EN_DAYS.items():
            text = re.sub(rf"\b{code}\b", word, text)
        return re.sub(r";\s*", "; ", text)
    for pattern, word in _ZH_WORDS:
        text = re.sub(pattern, word, text)
    text = re.sub(r"(?<=[一二三四五六日月])-(?=周|\d+月)", "至", text)
    text = text.replace(" 闭馆", "闭馆").replace("24/7", t("open_24_7", "zh"))
    return "；".join(part.strip() for part in text.split(";")).replace(",", "、")


_HOLIDAYS = "PH 00:00-24:00"


def is_public_holiday(day: date) -> bool:
    """Whether ``day`` is one of China's statutory public holidays (国庆, 春节 ...), by the calendar
    the opening hours are evaluated with."""
    return parse(_HOLIDAYS).is_open(datetime(day.year, day.month, day.day, 12, 0))


#: How far ahead :func:`next_opening` looks (a place closed for longer is taken as not opening).
LOOK_AHEAD = timedelta(days=14)


def next_opening(expression: str | None, moment: datetime) -> datetime | None:
    """When the place opens next after ``moment`` (China local time, naive): ``moment`` itself when it
    is open then, None when its hours are unknown or it does not open within :data:`LOOK_AHEAD`."""
    if not expression:
        return None
    try:
        hours = parse(expression)
    except ValueError:
        return None
    moment = local_time(moment)
    when = moment
    while when is not None and when - moment <= LOOK_AHEAD:
        if hours.is_open(when):
            return when
        when = hours.next_change(when)
    return None


def next_change(expression: str | None, moment: datetime) -> datetime | None:
    """When the place's state (open or closed) next changes after ``moment``, or None (24/7, unknown)."""
    if not expression:
        return None
    try:
        changed = parse(expression).next_change(local_time(moment))
    except ValueError:
        return None
    return changed if changed is not None and changed - local_time(moment) <= LOOK_AHEAD else None


def when_words(when: datetime, now: datetime, lang: str = "zh") -> str:
    """A time soon after ``now`` in words: ``今天 09:00``, ``明天 09:00``, ``周六 09:00`` within a week,
    else ``5月12日 09:00`` (``today 09:00``, ``tomorrow 09:00``, ``Sat 09:00``, ``12 May 09:00``)."""
    days = (when.date() - local_time(now).date()).days
    clock = when.strftime("%H:%M")
    if days == 0:
        return t("when_today", lang, time=clock)
    if days == 1:
        return t("when_tomorrow", lang, time=clock)
    if 1 < days < 7:
        return t("when_weekday", lang, day=t(f"weekday_{when.isoweekday()}", lang), time=clock)
    return t("when_date", lang, month=when.month, day=when.day, month_name=when.strftime("%b"), time=clock)
