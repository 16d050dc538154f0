"""How numbers are written, in one place: French for the people who read them (decimal comma, thousands
grouped), a dot for the programs that read them (VPL, JUnit, international spreadsheets)."""

from __future__ import annotations


def french_number(value: float) -> str:
    """14.5 -> '14,5'; 20.0 -> '20'; 3.25 -> '3,25' (French decimal comma, no useless zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def dot_number(value: float) -> str:
    """14.5 -> '14.5', 20.0 -> '20' (what VPL and international spreadsheets read)."""
    return french_number(value).replace(",", ".")


def seconds(value: float) -> str:
    """5.0 -> '5', 0.5 -> '0,5', 0.125 -> '0,125': a duration as the grader's deadlines are written."""
    return f"{value:g}".replace(".", ",")


def integer(value: float) -> str:
    """198000 -> '198 000' (French digit grouping)."""
    return f"{round(value):,}".replace(",", " ")


def milliseconds(value: float) -> str:
    """A latency: two decimals below 10 ms, one above."""
    return french_number(round(value, 1 if value >= 10 else 2))
