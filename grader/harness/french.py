"""Small helpers for the French of the messages."""

from __future__ import annotations

import errno

_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ")


def de(name: str) -> str:
    """ "de Bob", "d'Alice", "d'Éloïse" (elision before a vowel)."""
    return f"d'{name}" if name[:1] in _VOWELS else f"de {name}"


_OS_ERRORS = {
    errno.EPIPE: "connexion déjà fermée par l'autre côté",
    errno.ECONNRESET: "connexion coupée brutalement par l'autre côté",
    errno.ECONNREFUSED: "connexion refusée",
    errno.ECONNABORTED: "connexion interrompue",
    errno.ETIMEDOUT: "délai dépassé",
    errno.EADDRINUSE: "adresse déjà utilisée",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "ce n'est pas un dossier",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EMFILE: "trop de fichiers ouverts",
}


def os_error(error: OSError) -> str:
    """What the system said, in French (its own text is English: « Broken pipe »)."""
    if error.errno in _OS_ERRORS:
        return _OS_ERRORS[error.errno]
    return f"erreur système n° {error.errno}" if error.errno else "erreur système"
