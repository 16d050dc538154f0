"""The one exception a check fails with: what went wrong, in French, for the student."""

from __future__ import annotations

from typing import NoReturn

from .lines import printable

_PART_LABELS = (("sent", "Envoyé"), ("expected", "Attendu"), ("received", "Reçu"), ("hint", "Indice"))


class CheckFailure(AssertionError):
    """A check failed because of the student's program (never because of the grader)."""

    def __init__(
        self,
        summary: str,
        *,
        sent: str | None = None,
        expected: str | None = None,
        received: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.sent = sent
        self.expected = expected
        self.received = received
        self.hint = hint

    def french(self, *, with_hint: bool = True) -> str:
        """The summary, then each part that is present on its own line ("Envoyé : …"); control
        characters a program sent are made visible, never obeyed by the reader's terminal."""
        lines = [self.summary]
        for attribute, label in _PART_LABELS:
            value = getattr(self, attribute)
            if value is not None and (with_hint or attribute != "hint"):
                lines.append(f"{label} : {value}")
        return printable("\n".join(lines))

    def __str__(self) -> str:
        return self.french()


def fail(summary: str, **parts: str | None) -> NoReturn:
    """Raise CheckFailure(summary, sent=…, expected=…, received=…, hint=…)."""
    raise CheckFailure(summary, **parts)
