"""Turns a ConText TIME modifier ("two weeks ago", "in 2009", "last March", "hace 3 meses") into
days before the message date. When a phrase allows several dates we return the most recent one
it could mean: when unsure, the classifier leans to the higher urgency."""

from __future__ import annotations

import calendar
import re
from datetime import date

FAR_PAST = 3650  # "as a teen", "when I was younger": years before the message

_NUM = {
    "a": 1,
    "an": 1,
    "one": 1,
    "un": 1,
    "una": 1,
    "two": 2,
    "dos": 2,
    "three": 3,
    "tres": 3,
    "four": 4,
    "cuatro": 4,
    "five": 5,
    "cinco": 5,
    "six": 6,
    "seis": 6,
    "seven": 7,
    "siete": 7,
    "eight": 8,
    "ocho": 8,
    "nine": 9,
    "nueve": 9,
    "ten": 10,
    "diez": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "a few": 3,
    "few": 3,
    "a couple": 2,
    "a couple of": 2,
    "couple": 2,
    "couple of": 2,
    "several": 4,
    "many": 10,
    "unos": 3,
    "unas": 3,
    "pocos": 3,
    "pocas": 3,
    "varios": 4,
    "varias": 4,
    "muchos": 10,
    "muchas": 10,
}
_UNIT = [
    (re.compile(r"^(?:day|days|d[ií]a|d[ií]as)$"), 1),
    (re.compile(r"^(?:week|weeks|wk|wks|semana|semanas)$"), 7),
    (re.compile(r"^(?:month|months|mo|mos|mes|meses)$"), 30),
    (re.compile(r"^(?:year|years|yr|yrs|año|años|ano|anos)$"), 365),
    (re.compile(r"^(?:decade|decades)$"), 3650),
]
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
}
_FIXED = {
    "yesterday": 1,
    "ayer": 1,
    "anoche": 1,
    "last night": 1,
    "today": 0,
    "hoy": 0,
    "tonight": 0,
    "this morning": 0,
    "esta mañana": 0,
    "this afternoon": 0,
    "right now": 0,
    "just now": 0,
    "earlier today": 0,
    "recently": 14,
    "recent": 14,
    "the other day": 3,
    "last week": 7,
    "past week": 7,
    "this week": 0,
    "last weekend": 7,
    "this weekend": 0,
    "last month": 30,
    "past month": 30,
    "this month": 0,
    "last year": 365,
    "past year": 180,
    "this year": 0,
    "past few days": 3,
    "last few days": 3,
    "past few weeks": 21,
    "last few weeks": 21,
    "past couple weeks": 14,
    "past couple of weeks": 14,
    "last couple weeks": 14,
    "last couple of weeks": 14,
    "past few months": 60,
    "last few months": 60,
    "la semana pasada": 7,
    "el mes pasado": 30,
    "el año pasado": 365,
    "este mes": 0,
    "este año": 0,
    "years ago": 730,
    "months ago": 120,
    "weeks ago": 14,
    "days ago": 3,
    "last spring": 200,
    "last summer": 200,
    "last fall": 200,
    "last autumn": 200,
    "last winter": 200,
    "last christmas": 200,
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _unit_days(word: str) -> int | None:
    for pattern, days in _UNIT:
        if pattern.match(word):
            return days
    return None


def _count(word: str) -> float | None:
    if word.isdigit():
        return float(word)
    return _NUM.get(word)


def _latest(year: int, month: int, day: int | None, ref: date) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day or last, last))


def days_ago(phrase: str, ref: date) -> int | None:
    """Days between the latest date `phrase` can mean and `ref`; None if not understood."""
    p = " ".join(phrase.lower().replace(",", " ").split())
    if re.match(r"^(?:when (?:i|he|she) was|as a|in (?:high school|college|my))\b", p):
        return FAR_PAST
    p = re.sub(r"^(?:in|on|since|during|back in|around|en|de|del) ", "", p)
    p = re.sub(r"^last ([a-z]+)$", lambda m: m.group(1) if m.group(1)[:3] in _MONTHS else m.group(0), p)
    if p in _FIXED:
        return _FIXED[p]
    m = re.match(r"^(\d{1,2})/((?:19|20)\d\d)$", p)  # month/year, as letters write "05/2026"
    if m and 1 <= int(m.group(1)) <= 12:
        return max(0, (ref - _latest(int(m.group(2)), int(m.group(1)), None, ref)).days)
    if re.match(r"^(?:last|past) (?:" + "|".join(_WEEKDAYS) + ")$", p):
        return 7
    if re.match(r"^(?:when (?:i|he|she) was|as a|in (?:high school|college|my))\b", p):
        return FAR_PAST
    m = re.match(r"^at (?:age )?(\d{1,2})$", p)
    if m:
        return FAR_PAST
    m = re.match(r"^(.+?) (\S+) (?:ago|prior|before|earlier|back)$", p)
    if m:
        n, unit = _count(m.group(1)), _unit_days(m.group(2))
        if n is not None and unit:
            return int(n * unit)
    m = re.match(r"^hace (.+?)(?: \w+)? (\S+)$", p) or re.match(r"^hace (\S+) (\S+)$", p)
    if m:
        n, unit = _count(m.group(1).split()[0]), _unit_days(m.group(2))
        if n is not None and unit:
            return int(n * unit)
    m = re.match(r"^(?:x|for) ?(\d+) ?(\S+)$", p) or re.match(
        r"^(\S+) (\S+) (?:post|after|out|home|since)$", p
    )
    if m:
        n, unit = _count(m.group(1)), _unit_days(m.group(2))
        if n is not None and unit:
            return int(n * unit)
    m = re.match(r"^((?:19|20)\d\d)-(\d\d)-(\d\d)$", p)
    if m:
        try:
            return max(0, (ref - date(int(m.group(1)), int(m.group(2)), int(m.group(3)))).days)
        except ValueError:
            return None
    m = re.match(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$", p)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else ref.year
        if year < 100:
            year += 2000
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if d > ref and not m.group(3):
            d = date(year - 1, month, day)
        return max(0, (ref - d).days)
    m = re.match(r"^((?:19|20)\d\d)$", p)
    if m:
        year = int(m.group(1))
        if year >= ref.year:
            return 0
        return (ref - date(year, 12, 31)).days
    m = re.match(r"^([a-záéíóúñ]+)\.?(?: (\d{1,2})(?:st|nd|rd|th)?)?(?: (?:de |del )?((?:19|20)\d\d))?$", p)
    if m:
        key = m.group(1)
        month = _MONTHS.get(key) or _MONTHS.get(key[:3]) if len(key) >= 3 else None
        if month:
            day = int(m.group(2)) if m.group(2) else None
            if m.group(3):
                year = int(m.group(3))
                d = _latest(year, month, day, ref)
            else:
                d = _latest(ref.year, month, day, ref)
                if d > ref:
                    d = (
                        _latest(ref.year - 1, month, day, ref)
                        if day
                        else (ref if month == ref.month else _latest(ref.year - 1, month, day, ref))
                    )
            return max(0, (ref - d).days)
    return None
