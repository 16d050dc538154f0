"""The client checks C01..C07, end to end: the client corpus, the reference client and the starter."""

from __future__ import annotations

import pytest

from tests.grading import (
    CORPUS,
    GRADE_TOGETHER_TIMEOUT_S,
    SOLUTION,
    STARTERS,
    assert_failures_named,
    docstring_lines,
    grade,
    grade_together,
    selected,
)

CLIENT_IDS = tuple(f"C0{n}" for n in range(1, 8))
ONLY_CLIENT = ("--only", ",".join(CLIENT_IDS))

# Corpus folder -> {failing check: French words its message must hold}; every other C check passes.
EXPECTED_FAILURES: dict[str, dict[str, tuple[str, ...]]] = {
    "client_sans_thread_reception": {"C03": ("recv()", "thread"), "C04": ("input()", "thread de réception")},
    "client_nom_jamais_envoye": {"C02": ("nom n'est jamais envoyé",)},
    "client_prefixe_le_nom": {"C02": ("pas le protocole", "le serveur qui ajoute"), "C03": ("pas le protocole",)},
    "client_exit_reste_vivant": {"C05": ("tourne encore", "daemon")},
    "client_ascii": {"C07": ("UTF-8", "accents")},
    "client_boucle_infinie": {"C06": ("Boucle sans fin",)},
    "client_plante_fermeture": {"C06": ("plante", "Trace d'erreur")},
    "client_valide_fichier_texte": {},
    # Waits with a deadline (issue 13): the client is never at rest, and none of them fails it.
    "client_valide_delai_pause": {},
    "client_valide_delai_recv": {},
    "client_valide_delai_console": {},
}


@pytest.fixture(scope="module", autouse=True)
def graded(request: pytest.FixtureRequest) -> None:
    """Every grading of the selected tests, started together."""
    folders = [CORPUS / folder for folder in selected(request, "folder")]
    grade_together((path, ONLY_CLIENT) for path in (*folders, SOLUTION, STARTERS))


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the module's gradings
@pytest.mark.parametrize("folder", sorted(EXPECTED_FAILURES))
def test_client_corpus(folder: str) -> None:
    result = grade(CORPUS / folder, *ONLY_CLIENT)
    failures = EXPECTED_FAILURES[folder]
    expected = {check: "echouee" if check in failures else "reussie" for check in CLIENT_IDS}
    assert result.statuses() == expected, result.output
    assert_failures_named(result, failures)
    assert result.exit_code == (1 if failures else 0)


def test_corpus_files_carry_their_bug() -> None:
    for folder, first in docstring_lines(EXPECTED_FAILURES, "client_exo.py").items():
        assert first.startswith('"""Bug : ' if EXPECTED_FAILURES[folder] else '"""Valide'), folder


def test_reference_client_passes() -> None:
    result = grade(SOLUTION, *ONLY_CLIENT)
    assert {check: result.status(check) for check in CLIENT_IDS} == dict.fromkeys(CLIENT_IDS, "reussie"), result.output


def test_starter_client_asks_the_name_only() -> None:
    result = grade(STARTERS, *ONLY_CLIENT)
    assert result.status("C01") == "reussie", result.output
    for check in CLIENT_IDS[1:]:
        assert result.status(check) in ("echouee", "ignoree"), result.output
        assert result.message(check).strip(), check
    assert result.exit_code == 1
