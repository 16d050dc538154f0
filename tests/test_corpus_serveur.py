"""The server checks S01..S11, end to end: the server corpus, the reference server and the starter.

The module's gradings run a few at a time before its tests (`graded`); the reference's repeated runs are
`slow` (its full grading, once, is in tests/test_corpus_bonus.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

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
    run_grader,
    selected,
)

SERVER_IDS = tuple(f"S{n:02d}" for n in range(1, 12))
ALL = SERVER_IDS


def _only(*ids: str) -> tuple[str, ...]:
    return ("--only", ",".join(ids))


# Corpus folder -> (checks run, {failing check: French words its message must hold}); every other check
# run passes. A buggy server is graded on the check that names its bug and a few that must still pass:
# each check it fails by a deadline costs seconds, and the suite must stay short. Graded on S01..S11,
# they fail (measured): reponse_a_l_expediteur and sans_threads S03..S11; nom_dans_boucle_accept S05;
# ascii_seulement S06, S10; socket_mort_tue_le_thread S07, S08; sans_depart S07; traceback_sur_reset S08;
# affichages_sans_fin S07 (and S11 on a loaded machine: its endless loops eat the processor);
# recv_sans_decoupage S10, S11. (S11 makes nobody leave: a departure's fault is S07's or S08's alone.)
EXPECTED: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "valide_threads": (ALL, {}),
    "valide_asyncio": (ALL, {}),
    "valide_selectors": (ALL, {}),
    "valide_socketserver": (ALL, {}),
    "valide_echo": (ALL, {}),
    "valide_horodatage": (ALL, {}),
    # Loops with a deadline (issue 13): never at rest, so every wait runs to its deadline and none fails them.
    "valide_delai_recv": (ALL, {}),
    "valide_delai_select": (ALL, {}),
    "valide_delai_pause": (ALL, {}),
    "valide_delai_asyncio": (ALL, {}),
    "sans_prefixe": (ALL, {"S03": ("sans le nom",)}),
    "nom_non_nettoye": (
        ALL,
        {
            "S02": ("sans le nom", ".strip()"),
            "S03": ("retour à la ligne", ".strip()"),
            "S07": ("sans le nom", ".strip()"),
            "S09": ("retour à la ligne", ".strip()"),
        },
    ),
    "reponse_a_l_expediteur": (("S02", "S04"), {"S04": ("son propre message en retour", "seulement à l'expéditeur")}),
    "sans_threads": (("S02", "S03"), {"S03": ("pas pris en compte", "propre thread")}),
    "nom_dans_boucle_accept": (("S03", "S05", "S11"), {"S05": ("silencieux", "boucle d'accept()")}),
    "input_dans_le_serveur": (("S02", "S03"), {"S03": ("pas pris en compte", "saisie au clavier (input()")}),
    "ascii_seulement": (("S03", "S06", "S10", "S11"), {"S06": ("UTF-8", "ascii"), "S10": ("UTF-8",)}),
    "socket_mort_tue_le_thread": (("S03", "S07"), {"S07": ("Après le départ de Bob", "try/except")}),
    "sans_depart": (("S03", "S07"), {"S07": ("Bob a quitté le chat.",)}),
    "traceback_sur_reset": (("S07", "S08"), {"S08": ("Trace d'erreur", "ConnectionResetError")}),
    "port_en_dur": (("S01", "S02"), {"S01": ("55555", "CHAT_PORT")}),
    "plante_au_demarrage": (("S01",), {"S01": ("au démarrage", "SOCK_STREM")}),
    "n_ecoute_jamais": (("S01",), {"S01": ("n'écoute", "input()")}),
    "affichages_sans_fin": (("S07", "S08"), {"S07": ("Bob a quitté le chat.",)}),
    "recv_sans_decoupage": (("S03", "S10", "S11"), {"S10": ("segment", "tampon"), "S11": ("découp",)}),
}
SKIPPED_AFTER_S01 = {"port_en_dur", "plante_au_demarrage", "n_ecoute_jamais"}
UNLOCKED_REGISTRY = (CORPUS / "registre_sans_verrou", _only("S04", "S07", "S08", "S11"))
# The same registry, paused after each send of its broadcast: a newcomer arriving before its loop is over
# would meet the race; the grader lets that loop end first (ChatRoom.join), so S07 passes every run.
SLOW_UNLOCKED_REGISTRY = (CORPUS / "registre_sans_verrou_lent", _only("S07"))
# The load tool's server (tests/test_charge.py), which drops one relayed line in ten whoever leaves.
LOSSY_SERVER = (CORPUS / "charge_pertes", _only("S05", "S08", "S11"))
STARTER_SERVER = (STARTERS, _only(*SERVER_IDS))


@pytest.fixture(scope="module", autouse=True)
def graded(request: pytest.FixtureRequest) -> None:
    """Every grading of the selected tests, started together."""
    grade_together(
        [
            *((CORPUS / folder, _only(*EXPECTED[folder][0])) for folder in selected(request, "folder")),
            UNLOCKED_REGISTRY,
            SLOW_UNLOCKED_REGISTRY,
            LOSSY_SERVER,
            STARTER_SERVER,
        ]
    )


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the module's gradings
@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_server_corpus(folder: str) -> None:
    checks, failures = EXPECTED[folder]
    result = grade(CORPUS / folder, *_only(*checks))
    ran = sorted({*checks, "S01"})
    passed = "ignoree" if folder in SKIPPED_AFTER_S01 else "reussie"
    expected = {check: "echouee" if check in failures else passed for check in ran}
    assert result.statuses() == expected, result.output
    assert_failures_named(result, failures)
    assert result.exit_code == (1 if failures else 0)


def test_unlocked_registry_fails_s08_and_s11_by_its_race_every_time() -> None:
    """Every paced check passes an unlocked registry; S08 and S11 hold its broadcast loop at a client that
    reads nothing while another leaves (S08) or arrives (S11), so the race shows on every run, and each
    failure names the lock."""
    result = grade(UNLOCKED_REGISTRY[0], *UNLOCKED_REGISTRY[1])
    assert {check: result.status(check) for check in ("S01", "S04", "S07")} == dict.fromkeys(
        ("S01", "S04", "S07"), "reussie"
    ), result.output
    for check in ("S08", "S11"):
        assert result.status(check) == "echouee", result.output
        assert "verrou" in result.check(check).get("indice", ""), result.output
    assert "changed size during iteration" in result.message("S08"), result.output


def test_a_newcomer_arrives_once_the_broadcast_is_over() -> None:
    """A broadcast that pauses after each send, over an unlocked registry: David joins only once it has
    ended, so the race of the registry does not decide S07 (S08 and S11 charge it)."""
    result = grade(SLOW_UNLOCKED_REGISTRY[0], *SLOW_UNLOCKED_REGISTRY[1])
    assert result.statuses() == {"S01": "reussie", "S07": "reussie"}, result.output


def test_a_server_losing_lines_anyway_is_not_charged_again_for_departures() -> None:
    """Which of its lines is lost depends on its threads' order when clients leave: S08 would fail it on
    some runs only. It loses lines with nobody leaving, so S05 and S11 charge that, and S08 says so."""
    result = grade(LOSSY_SERVER[0], *LOSSY_SERVER[1])
    assert result.statuses() == {"S01": "reussie", "S05": "echouee", "S08": "reussie", "S11": "echouee"}, result.output
    assert "voir S05" in result.message("S08"), result.output


# The lossy server made to lose only two lines: one of Alice's control lines to Bob (so that S08 knows it
# loses lines anyway) and Gaston's line to Alice, the line S08 has Gaston say once a connection was cut
# before the server accepted it; that connection's thread prints a traceback (the real one does when its
# read of the name meets the reset, not when it meets the end of the stream). Which line the real one
# loses there depends on how many clients the vanishing ones left behind: one run in a few.
LOSES_GASTON_TO_ALICE = (
    (
        "            if lignes_relayees % UNE_SUR == 0:\n",
        '            if f"{texte} à {clients[client]}" in ("Alice : message 3 de Alice à Bob", '
        '"Gaston : Bonjour, je suis nouveau. à Alice"):\n',
    ),
    ("        client.close()\n        return\n", '        raise ConnectionResetError("coupé avant son nom")\n'),
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="la coupure avant accept() ne s'ordonne qu'avec /proc")
def test_a_lossy_server_losing_a_line_after_the_cut_before_accept_is_not_charged_again(tmp_path: Path) -> None:
    source = (LOSSY_SERVER[0] / "serveur_exo.py").read_text(encoding="utf-8")
    for valid, buggy in LOSES_GASTON_TO_ALICE:
        assert source.count(valid) == 1, "le texte à changer n'est plus dans charge_pertes"
        source = source.replace(valid, buggy)
    (tmp_path / "serveur_exo.py").write_text(source, encoding="utf-8")
    result = grade(tmp_path, "--only", "S08")
    assert result.statuses() == {"S01": "reussie", "S08": "reussie"}, result.output
    assert "voir S05" in result.message("S08"), result.output


def test_corpus_files_carry_their_bug() -> None:
    registries = [UNLOCKED_REGISTRY[0].name, SLOW_UNLOCKED_REGISTRY[0].name]
    buggy = {folder for folder, (_, failures) in EXPECTED.items() if failures} | set(registries)
    for folder, first_line in docstring_lines([*EXPECTED, *registries], "serveur_exo.py").items():
        assert first_line.startswith('"""Bug : ') == (folder in buggy), folder
        assert first_line.startswith('"""valide : ') == (folder not in buggy), folder


@pytest.mark.slow
@pytest.mark.parametrize("run", range(1, 6))
def test_reference_server_passes_every_check(run: int) -> None:
    done = run_grader(str(SOLUTION), *_only(*SERVER_IDS))
    assert done.returncode == 0, f"passage {run} :\n{done.stdout}{done.stderr}"


def test_starter_server_starts_and_fails_the_rest_quickly() -> None:
    result = grade(STARTER_SERVER[0], *STARTER_SERVER[1])
    assert result.status("S01") == "reussie", result.output
    for check in SERVER_IDS[1:]:
        assert result.status(check) in ("echouee", "ignoree"), result.output
        assert result.message(check).strip(), check
    assert result.exit_code == 1
    assert result.seconds < 20, f"{result.seconds:.1f} s"
