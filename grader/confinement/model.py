"""What confinement a student program gets on this machine: the layers, and whether they suffice."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Confinement:
    """The confinement every student program of this grading run gets.

    `confined` is true when the program cannot write outside its scratch copy and every process it
    starts is stopped by a mechanism it cannot defeat (a PID namespace on Linux); `layers` names, in
    French, what is applied; `missing` what this system could not give (French too)."""

    confined: bool
    layers: tuple[str, ...]
    missing: tuple[str, ...] = ()

    def line(self) -> str:
        """The report line, e.g. « Isolation : confinée (Landlock ..., espaces de noms ...) »."""
        state = "confinée" if self.confined else "NON confinée"
        details = ", ".join(self.layers) or "aucune protection"
        text = f"Isolation : {state} ({details})"
        if self.missing:
            text += " ; absent : " + ", ".join(self.missing)
        return text

    def to_dict(self) -> dict:
        return {"confinee": self.confined, "couches": list(self.layers), "absentes": list(self.missing)}

    @classmethod
    def from_dict(cls, data: dict) -> Confinement:
        return cls(
            confined=bool(data.get("confinee")),
            layers=tuple(str(layer) for layer in data.get("couches", ())),
            missing=tuple(str(item) for item in data.get("absentes", ())),
        )
