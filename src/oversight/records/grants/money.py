"""Money as typed or imported: a `Decimal` with at most two decimal places, never a float."""

from __future__ import annotations

import decimal
import re

from oversight.errors import OversightError

PENNY = decimal.Decimal("0.01")
MAXIMUM = decimal.Decimal("999999999999.99")  # Numeric(14, 2)
_AMOUNT = re.compile(r"-?\d+(\.\d{1,2})?")


class BadAmount(OversightError):
    status = 422


def parse(value: object) -> decimal.Decimal:
    """An amount in pounds from text ('£1,234.50', '1234.5', '70000000') or a Decimal or int; a float is
    refused (it may already have lost the pennies), and so is a third decimal place."""
    if isinstance(value, bool) or isinstance(value, float):
        raise BadAmount("an amount must be exact: give it as text or a decimal, not a floating-point number")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, decimal.Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("£", "").replace(" ", "")
    else:
        raise BadAmount(f"not an amount: {value!r}")
    if not text:
        raise BadAmount("the amount is empty")
    if not _AMOUNT.fullmatch(text):
        if re.fullmatch(r"-?\d+\.\d{3,}", text):
            raise BadAmount(f"{value!s} has more than two decimal places: amounts are in pounds and pence")
        raise BadAmount(f"{value!s} is not an amount in pounds, like 1234.50")
    amount = decimal.Decimal(text).quantize(PENNY)
    if amount < 0:
        raise BadAmount(f"{value!s} is negative")
    if amount > MAXIMUM:
        raise BadAmount(f"{value!s} is larger than any grant")
    return amount
