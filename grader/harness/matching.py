"""Tolerant matching of relayed lines (`Nom : message`), and the diagnosis of a relay gone wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

# The times a chat server may write, in one place. A time of day as servers write it: 14:05, 14h05, 14:05:33.
_TIME_OF_DAY = r"\d{1,2}[:hH]\d{2}(?::\d{2})?"
TIME_OF_DAY = re.compile(_TIME_OF_DAY)
# Before a relayed message: "[14:05] ", "[14:05:33] ", "[14h05] ", with or without brackets or parentheses.
_TIME_PREFIX = re.compile(rf"[ \t]*[\[(]?{_TIME_OF_DAY}[\])]?[ \t]*")
# The bonus's own format, exactly: "[HH:MM] " (B02).
BRACKETED_TIME_PREFIX = re.compile(r"\[(\d{2}):(\d{2})\] ")
# Anything that looks like a time, spaces and "14.05" included: a time written in another format (B02).
TIME_LIKE = re.compile(r"\d{1,2}\s*[:hH.]\s*\d{2}")
_SEPARATOR = re.compile(r"[ \t]*:[ \t]*")
EXACT_SEPARATOR = " : "
STRIP_HINT = (
    "Le nom lu sur la connexion garde sa fin de ligne : retirez-la avec .strip() "
    '(nom = conn.recv(1024).decode("utf-8").strip()).'
)


@dataclass(frozen=True)
class Relay:
    name: str
    message: str
    timestamp: str | None  # the time prefix as written ("[14:05]", "[14h05]"), None if absent
    exact_separator: bool  # True only for exactly " : "


def _without_time(line: str) -> tuple[str | None, str]:
    line = line[:-1] if line.endswith("\r") else line
    prefix = _TIME_PREFIX.match(line)
    if prefix is None:
        return None, line
    return prefix.group(0).strip(), line[prefix.end() :]


def parse_relay(line: str, name: str) -> Relay | None:
    """`[time] name : message` with any spacing around ":"; None if the line is not from `name`."""
    timestamp, body = _without_time(line)
    body = body.lstrip(" \t")
    if not name or not body.startswith(name):
        return None
    separator = _SEPARATOR.match(body, len(name))
    if separator is None:
        return None
    return Relay(name, body[separator.end() :], timestamp, separator.group(0) == EXACT_SEPARATOR)


def is_relay(line: str, name: str, message: str) -> bool:
    relay = parse_relay(line, name)
    return relay is not None and relay.message.strip() == message.strip()


def contains_message(line: str, message: str) -> bool:
    """The message's text is in the line, whatever comes before or after it."""
    return message.strip() in line


_ARRIVAL = re.compile(r"rejoint|join|arriv|bienvenue|welcome", re.IGNORECASE)


def spoken(line: str, message: str) -> bool:
    """The message reached the room as something said, in any layout: not in an arrival notice (a server
    that asks a refused name for another one may take the next line as that name and announce it)."""
    return contains_message(line, message) and _ARRIVAL.search(line.replace(message.strip(), "")) is None


def diagnose_relay(lines: list[str], name: str, message: str) -> tuple[str, str]:
    """Why `lines` (what a recipient got) hold no `name : message`: (French summary, hint)."""
    expected = f"« {name} : {message} »"
    if not any(line.strip() for line in lines):
        return (
            "Rien n'a été reçu.",
            "Le serveur doit renvoyer chaque message reçu à tous les autres clients connectés "
            '(une boucle sur la liste des clients, avec sendall(texte.encode("utf-8"))).',
        )
    for previous, line in pairwise(lines):
        # The name kept its "\n": it ends a line of its own, or a welcome text sent without end of line.
        if previous.rstrip().endswith(name) and _without_time(line)[1].lstrip().startswith(":"):
            return (f"Le nom a gardé son retour à la ligne : « {name} » puis « {line} ».", STRIP_HINT)
    for line in lines:
        if contains_message(line, message):
            return _diagnose_line(line, name, message, expected)
    if any(_looks_binary(line) for line in lines):
        return (
            "Ce qui est arrivé n'est pas du texte mais des octets quelconques.",
            "Les octets reçus ne forment pas du texte : envoyez aux clients du texte encodé en UTF-8, une ligne "
            "par message : "
            'sendall(f"{nom} : {message}\\n".encode("utf-8")).',
        )
    return (
        f"Aucune des lignes reçues ne contient « {message.strip()} ».",
        "Le serveur doit renvoyer le message de chaque client à tous les autres clients, pas seulement à l'expéditeur.",
    )


def _looks_binary(line: str) -> bool:
    """At least a quarter of undecodable bytes or control characters: binary data, not text."""
    odd = sum(1 for char in line if char == "\ufffd" or (char < " " and char != "\t"))
    return len(line) >= 8 and odd * 4 >= len(line)


def _diagnose_line(line: str, name: str, message: str, expected: str) -> tuple[str, str]:
    if is_relay(line, name, message):
        return (f"Le message est bien arrivé : « {line} ».", "")
    body = _without_time(line)[1]
    before = body[: body.find(message.strip())]
    if not before.strip():
        return (
            f"Le message est arrivé sans le nom de l'expéditeur : « {line} » au lieu de {expected}.",
            'Préfixez chaque message par le nom de l\'expéditeur : f"{nom} : {message}".',
        )
    if re.match(re.escape(name) + r"[ \t]*[\r\n]", before.lstrip()):
        return (f"Le nom a gardé sa fin de ligne : « {line} ».", STRIP_HINT)
    if name in before:
        return (
            f"Le nom et le message sont séparés autrement : « {line} » au lieu de {expected}.",
            'Séparez le nom et le message par « : » (espace, deux-points, espace) : f"{nom} : {message}".',
        )
    if before.rstrip().endswith(":") and before.rstrip()[:-1].strip():
        shown = before.rstrip()[:-1].strip()
        return (
            f"Le message est préfixé par « {shown} » au lieu du nom « {name} ».",
            "Le préfixe est le nom que le client a envoyé en premier à la connexion, gardé pour ce client.",
        )
    return (
        f"Le message est arrivé sous une autre forme : « {line} » au lieu de {expected}.",
        f"Chaque message relayé doit être exactement {expected} (un horodatage « [HH:MM] » devant est accepté).",
    )
