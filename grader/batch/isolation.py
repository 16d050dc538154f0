"""Untrusted by default: a class is graded only with the students' programs confined.

Where this machine cannot confine them (`grader.confinement.current().confined` is false),
`isolation_refusal()` gives the French reason to refuse a class: what an unconfined program could do,
how to get confinement, and the option that goes on anyway, `--sans-isolation` (which does not turn
confinement off: it only accepts to grade without it). One submission graded with an export (a platform
grading one upload, a teacher's --json) is not refused but warned about (`unconfined_warning`), and its
report's « Isolation : … » line says what was applied. A student checking their own work (one
submission, no export) is neither refused nor warned.
"""

from __future__ import annotations

from grader.confinement import current
from grader.exports import ExportOptions

UNCONFINED_FLAG = "--sans-isolation"


def isolation_refusal(*, whole_class: bool) -> str | None:
    """Why this class must not be graded on this machine, or None (one submission, or confined)."""
    if not whole_class:
        return None
    state = current()
    if state.confined:
        return None
    return (
        "La correction d'une classe ne se fait qu'avec les programmes des étudiants confinés, et cette machine "
        f"ne permet pas de les confiner ({state.line()}). Sans confinement, un programme d'étudiant s'exécute "
        "avec vos droits : il peut lire vos fichiers, modifier les rendus des autres étudiants, les fichiers "
        "exportés et le correcteur lui-même, ou arrêter la correction. Pour corriger en sécurité : sous "
        "Windows, installez WSL2 et lancez la correction depuis Ubuntu ; sinon, une machine Linux (noyau 5.13 "
        "ou plus récent) ou un conteneur Linux (Docker, Podman) qui autorise les espaces de noms. Pour corriger "
        f"quand même ici, en connaissance de cause : ajoutez {UNCONFINED_FLAG}."
    )


def unconfined_warning(*, whole_class: bool, exports: ExportOptions) -> str | None:
    """The warning for a class or an export graded unconfined, or None when confined or nothing is at stake."""
    if not (whole_class or exports.any_asked()) or current().confined:
        return None
    return (
        "Attention : les programmes des étudiants ne sont pas confinés sur cette machine. Ils s'exécutent "
        "avec vos droits : ne vous fiez aux notes et aux fichiers exportés que si vous faites confiance à "
        "chaque rendu."
    )
