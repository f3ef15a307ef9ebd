"""The National Provider Identifier's check digit (CMS): Luhn over the prefix 80840 and the
first nine digits. Catches a mistyped NPI before it reaches a coordinator."""

from __future__ import annotations

NPI_PREFIX = "80840"


def npi_is_valid(value: str) -> bool:
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    digits = [int(c) for c in NPI_PREFIX + value[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):  # double every second digit from the right
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(value[9])
