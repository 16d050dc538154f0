"""The bonus checks B01..B07, end to end: servers with a broken bonus, and the reference five times over."""

from __future__ import annotations

import pytest

from tests.grading import (
    CORPUS,
    GRADE_TOGETHER_TIMEOUT_S,
    SOLUTION,
    assert_failures_named,
    docstring_lines,
    grade,
    grade_together,
    selected,
)

BONUS_IDS = tuple(f"B0{n}" for n in range(1, 8))
CLIENT_AND_BONUS_IDS = tuple(f"C0{n}" for n in range(1, 8)) + BONUS_IDS
SERVER_IDS = tuple(f"S{n:02d}" for n in range(1, 12))

# Each server passes every S check and has one broken bonus, plus some other bonuses done right (in
# formats other than the reference's). Folder -> ({bonus check: expected status}, {failing check: words}).
EXPECTED: dict[str, tuple[dict[str, str], dict[str, tuple[str, ...]]]] = {
    "serveur_prive_a_tous": ({"B01": "reussie", "B03": "echouee"}, {"B03": ("aussi chez Charlie",)}),
    "serveur_heure_14h05": ({"B02": "echouee", "B04": "reussie"}, {"B02": ("pas sous la forme [HH:MM]",)}),
    "serveur_noms_dupliques": (
        {"B03": "reussie", "B06": "reussie", "B07": "echouee"},
        {"B07": ("second client", "Alice")},
    ),
    "serveur_historique_sans_flush": (
        {"B02": "reussie", "B05": "echouee"},
        {"B05": ("historique.txt", "flush()")},
    ),
}


def _only(folder: str) -> tuple[str, ...]:
    return ("--only", ",".join((*SERVER_IDS, *EXPECTED[folder][0])))


@pytest.fixture(scope="module", autouse=True)
def graded(request: pytest.FixtureRequest) -> None:
    """Every grading of the selected tests, started together (the reference's full grading included)."""
    grade_together([*((CORPUS / folder, _only(folder)) for folder in selected(request, "folder")), (SOLUTION, ())])


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the module's gradings
@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_bonus_corpus(folder: str) -> None:
    bonuses, failures = EXPECTED[folder]
    result = grade(CORPUS / folder, *_only(folder))
    assert result.statuses() == {**dict.fromkeys(SERVER_IDS, "reussie"), **bonuses}, result.output
    assert_failures_named(result, failures)
    assert result.exit_code == 0, "un bonus manqué ne change pas le code de sortie"


def test_corpus_files_carry_their_bug() -> None:
    for folder, first in docstring_lines(EXPECTED, "serveur_exo.py").items():
        assert first.startswith('"""Bug (bonus) : '), folder


def test_absent_bonus_is_neutral() -> None:
    result = grade(CORPUS / "serveur_prive_a_tous", "--only", "B02")
    assert result.status("B02") == "echouee"
    assert result.message("B02").startswith("Bonus non tenté"), result.message("B02")
    assert result.exit_code == 0


@pytest.mark.slow
@pytest.mark.parametrize("run", range(5))
def test_reference_passes_every_client_and_bonus_check(run: int) -> None:
    result = grade.__wrapped__(SOLUTION, "--only", ",".join(CLIENT_AND_BONUS_IDS))  # a real run each time
    assert result.statuses() == {"S01": "reussie", **dict.fromkeys(CLIENT_AND_BONUS_IDS, "reussie")}, result.output


def test_reference_full_grade() -> None:
    result = grade(SOLUTION)
    assert result.exit_code == 0, result.output
    assert "Note : 20 / 20" in result.output
    assert "Bonus : +3,5" in result.output


# A threaded server that takes a second "Alice" and logs her lines on its console a moment before it
# relays them: the console line alone must not end B07's wait for the relay (the real Alice's next
# message, relayed at once, would overtake it).
LOGS_BEFORE_RELAYING = """
import os, socket, threading, time
clients = {}
verrou = threading.Lock()

def servir(sock, adresse):
    lecteur = sock.makefile("r", encoding="utf-8")
    nom = lecteur.readline().strip()
    print(f"{nom} ({adresse[0]}) a rejoint le chat.", flush=True)
    with verrou:
        doublon = nom in clients.values()
        clients[sock] = nom
    for ligne in lecteur:
        print(f"{nom} : {ligne.strip()}", flush=True)
        if doublon:
            time.sleep(0.3)  # the second Alice's relays come well after their console line
        with verrou:
            autres = [autre for autre in clients if autre is not sock]
        for autre in autres:
            autre.sendall(f"{nom} : {ligne.strip()}\\n".encode("utf-8"))

with socket.create_server(("127.0.0.1", int(os.environ["CHAT_PORT"]))) as serveur:
    print("Serveur en attente de connexions...", flush=True)
    while True:
        threading.Thread(target=servir, args=serveur.accept(), daemon=True).start()
"""


def test_a_duplicate_name_relayed_after_its_console_line_is_caught(tmp_path) -> None:
    (tmp_path / "serveur_exo.py").write_text(LOGS_BEFORE_RELAYING, encoding="utf-8")
    result = grade(tmp_path, "--only", "B07")
    assert result.status("B07") == "echouee", result.output
    assert_failures_named(result, {"B07": ("second client", "Alice : Je suis la vraie Alice")})
