"""matching: tolerant parsing of relayed lines and the diagnosis of each classic mistake."""

from __future__ import annotations

import pytest

from grader.harness.matching import Relay, contains_message, diagnose_relay, is_relay, parse_relay


@pytest.mark.parametrize(
    ("line", "relay"),
    [
        ("Alice : Bonjour !", Relay("Alice", "Bonjour !", None, True)),
        ("Alice : Bonjour !\r", Relay("Alice", "Bonjour !", None, True)),
        ("[14:05] Alice : Bonjour !", Relay("Alice", "Bonjour !", "[14:05]", True)),
        ("[14:05:33] Alice : Bonjour !", Relay("Alice", "Bonjour !", "[14:05:33]", True)),
        ("[14h05] Alice : Bonjour !", Relay("Alice", "Bonjour !", "[14h05]", True)),
        ("Alice: Bonjour !", Relay("Alice", "Bonjour !", None, False)),
        ("Alice  :  Bonjour !", Relay("Alice", "Bonjour !", None, False)),
        ("Alice:Bonjour !", Relay("Alice", "Bonjour !", None, False)),
        ("Zoé 🎉 : こんにちは", Relay("Zoé 🎉", "こんにちは", None, True)),
    ],
)
def test_parse_relay_tolerates_time_spacing_and_cr(line: str, relay: Relay) -> None:
    name = relay.name
    assert parse_relay(line, name) == relay
    assert is_relay(line, name, relay.message)


@pytest.mark.parametrize("line", ["Bonjour !", "Alice2 : Bonjour !", "Bob : Bonjour !", "Alice> Bonjour !"])
def test_parse_relay_rejects_other_senders_and_forms(line: str) -> None:
    assert parse_relay(line, "Alice") is None
    assert not is_relay(line, "Alice", "Bonjour !")
    assert contains_message(line, "Bonjour !")


@pytest.mark.parametrize(
    ("lines", "summary", "hint"),
    [
        ([], "Rien n'a été reçu.", "sendall"),
        (["", "  "], "Rien n'a été reçu.", "sendall"),
        (["Bonjour !"], "Le message est arrivé sans le nom de l'expéditeur : « Bonjour ! »", "Préfixez"),
        (["[14:05] Bonjour !"], "sans le nom de l'expéditeur", "Préfixez"),
        (["Alice", " : Bonjour !"], "Le nom a gardé son retour à la ligne", ".strip()"),
        (["Alice", ": Bonjour !"], "Le nom a gardé son retour à la ligne", ".strip()"),
        (["Alice\r : Bonjour !"], "Le nom a gardé sa fin de ligne", ".strip()"),
        (["Bob a rejoint le chat.Alice", ": Bonjour !"], "Le nom a gardé son retour à la ligne", ".strip()"),
        ([": Bonjour !"], "sous une autre forme", "exactement"),
        (["Alice> Bonjour !"], "séparés autrement : « Alice> Bonjour ! » au lieu de « Alice : Bonjour ! »", "« : »"),
        (["[Alice] Bonjour !"], "séparés autrement", "« : »"),
        (["Alice - Bonjour !"], "séparés autrement", "« : »"),
        (["('127.0.0.1', 50312) : Bonjour !"], "préfixé par « ('127.0.0.1', 50312) » au lieu du nom", "premier"),
        (["Message reçu > Bonjour ! <"], "sous une autre forme", "exactement « Alice : Bonjour ! »"),
        (["Bienvenue !", "Bob a rejoint le chat."], "Aucune des lignes reçues ne contient « Bonjour ! »", "autres"),
    ],
)
def test_diagnose_relay_names_each_mistake(lines: list[str], summary: str, hint: str) -> None:
    found_summary, found_hint = diagnose_relay(lines, "Alice", "Bonjour !")
    assert summary in found_summary
    assert hint in found_hint
