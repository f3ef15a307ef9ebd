"""Input clean-up rules for free text, phone numbers, e-mail addresses and dates.

Validators raise ValueError with messages that describe the rule, never the value: the value is
PHI and errors travel to logs and clients.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"
# Zero-width and bidirectional controls: invisible, used to spoof text; dropped from short fields.
_INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
}


def _check_encodable(value: str) -> None:
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Contains an invalid character (a lone surrogate).") from None


def clean_line(value: str) -> str:
    """A single-line field (a name, a time preference): no control characters, trimmed."""
    _check_encodable(value)
    value = "".join(ch for ch in value if ch not in _INVISIBLE)
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("Must be a single line of text without control characters.")
    value = " ".join(value.split())
    if not value:
        raise ValueError("Must not be blank.")
    return value


def clean_paragraphs(value: str) -> str:
    """Free text: keeps line breaks and tabs, refuses other control characters, trims."""
    _check_encodable(value)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise ValueError("Must not contain control characters.")
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise ValueError("Must not be blank.")
    return value


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    _check_encodable(value)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("Not a phone number; use digits with the area code, e.g. +1 949 555 0100.") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number; check the area code and the number of digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    _check_encodable(value)
    if any(ch in value for ch in "\r\n"):
        raise ValueError("Must be a single e-mail address.")
    try:
        # No DNS: deliverability checks fail offline and leak timing; the address is checked by form.
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Not a valid e-mail address.") from None


def check_birth_date(value: date, today: date | None = None) -> date:
    today = today or date.today()
    if value > today:
        raise ValueError("A date of birth cannot be in the future.")
    if value.year < today.year - 120:
        raise ValueError("A date of birth more than 120 years ago is not possible.")
    return value
