"""Small helpers for the French of the messages."""

from __future__ import annotations

_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ")


def de(name: str) -> str:
    """ "de Bob", "d'Alice", "d'Éloïse" (elision before a vowel)."""
    return f"d'{name}" if name[:1] in _VOWELS else f"de {name}"
