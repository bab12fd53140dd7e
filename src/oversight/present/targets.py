"""Money and progress against targets in words: the grants update's figures (commissioned services
and grants) put into the sentences the records pages, the open data notes and the PDF use.

A percentage of a target is rounded *down* to a whole percent, so a total below its target never reads
as 100%. The status words follow a stated rule (`STATUS_WORDS`); there is no 'on track', because no
rule here could say what on track means for a service's spread of work over its grant."""

from __future__ import annotations

import decimal

PENNY = decimal.Decimal("0.01")

STATUS_WORDS = {
    "met": "Met",
    "not_met": "Not met",
    "not_met_yet": "Not met yet",
    "no_target": "No target",
}
"""The status codes of `records.grants.update.target_status`, in words."""

KIND_WORDS = {"output": "Output", "outcome": "Outcome"}


def money_text(value: decimal.Decimal | str | int) -> str:
    """'£3,900,000.00', '£12.50': pounds and pence, exactly as stored (no rounding to millions)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    amount = decimal.Decimal(str(value)).quantize(PENNY)
    return f"-£{-amount:,}" if amount < 0 else f"£{amount:,}"


def money_short(value: decimal.Decimal | str | int) -> str:
    """'£3.9m', '£850,000': for a heading; the exact figure stands beside it in tables."""
    amount = decimal.Decimal(str(value))
    if amount >= 1_000_000:
        millions = (amount / 1_000_000).quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_EVEN)
        return f"£{millions:,}m"
    return f"£{amount.quantize(decimal.Decimal(1)):,}"


def percent_of(achieved: int, target: int) -> int:
    """Whole percent of the target, rounded down (999 of 1,000 is 99%, never 100%)."""
    return (100 * achieved) // target


def against_target(achieved: int, target: int | None) -> str:
    """'840 of a target of 1,000 (84%)'; '1,050 of a target of 1,000 (105%)'; '312 (no target set)'."""
    if target is None:
        return f"{achieved:,} (no target set)"
    return f"{achieved:,} of a target of {target:,} ({percent_of(achieved, target)}%)"


def status_text(status: str) -> str:
    return STATUS_WORDS[status]


def returns_text(counted: int, owed: int) -> str:
    """'from 2 of 3 returns': how complete a total to date is."""
    if owed == 0:
        return "no return owed yet"
    if counted == owed == 1:
        return "from its one return so far"
    if counted == owed:
        return f"from all {owed} return{'s' if owed != 1 else ''}"
    return f"from {counted} of {owed} returns (the others are not signed off)"
