"""Bonus checks B01..B07 on the student's server, each on a fresh server (`room`).

A bonus that is not there simply fails with a neutral message saying what was looked for ("Bonus non
tenté ou non reconnu : …"); a bonus that is there but wrong is told what is wrong. Absences (a private
message that must not reach Charlie...) are proven with a sentinel message sent afterwards. The messages
are plain ASCII: S06 judges UTF-8, and a bonus is judged on itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from grader.checks import verification
from grader.formats import seconds
from grader.harness import rest, timing
from grader.harness.connection import ScriptedClient
from grader.harness.errors import CheckFailure, fail
from grader.harness.matching import BRACKETED_TIME_PREFIX, TIME_LIKE, spoken
from grader.harness.room import ChatRoom
from grader.harness.waiting import LineSource, SeenTwice, wait_or_rest, wait_probing
from grader.model import BONUS_NOT_TRIED

NOT_TRIED = BONUS_NOT_TRIED
KICK_S = 2.0  # a kicked client's connection must be closed within this (issue 4, B06)
HISTORY_FILE = "historique.txt"
KICK_HINT = (
    "Lisez la console dans un thread (input()), trouvez le socket de Bob, puis shutdown(socket.SHUT_RDWR) et "
    "close() : close() seul ne réveille pas toujours le thread bloqué dans recv()."
)
POLL_S = 0.05  # B06: between two looks at the console pipe, which tells no one when it is read


def _transcript(client: ScriptedClient) -> str:
    return "\n".join(client.transcript(8)) or "(rien)"


def _first_answer(
    room: ChatRoom,
    sender: ScriptedClient,
    commands: tuple[str, ...],
    watcher: ScriptedClient,
    answered: Callable[[list[str]], bool],
) -> tuple[str, list[str]] | None:
    """Send each spelling of a command until `watcher` receives lines that satisfy `answered`.

    As soon as the server shows it handled a spelling without answering it (a line at a client, the
    command relayed as an ordinary message, or one on its console), room.settle() proves with two
    sentinel messages that no answer is still on its way: a server without the bonus is graded in a
    moment, not after a deadline per spelling. Sentinel lines are left out of what is judged."""
    for command in commands:
        mark = watcher.mark()
        sources = [*(client for client in room.clients if not client.closed), room.console]
        marks: dict[LineSource, int] = {source: source.mark() for source in sources}

        def answer() -> list[str]:
            return [line for line in watcher.lines(mark) if not room.is_sentinel(line)]

        def reacted() -> bool:
            return any(source.lines(since) for source, since in marks.items())

        sender.send_line(command)
        room.wait_until(lambda: answered(answer()) or reacted(), room.track_record.relay_timeout(), sources)
        if not answered(answer()) and reacted():
            room.settle(sender, [watcher])
        if answered(answer()):
            return command, answer()
    return None


@verification("B01", "/liste", requires=("S01",))
def test_liste(room: ChatRoom) -> None:
    alice, bob, charlie = room.join("Alice"), room.join("Bob"), room.join("Charlie")
    room.say(charlie, "Il y a du monde ?", [alice, bob])  # every join notice has reached Alice by now
    room.settle(charlie, [charlie])  # and what the server sent Charlie as he came (a welcome) has reached him
    marks: dict[LineSource, int] = {bob: bob.mark(), charlie: charlie.mark()}
    names = ("Alice", "Bob", "Charlie")
    answer = _first_answer(
        room, alice, ("/liste", "/list"), alice, lambda lines: all(name in "\n".join(lines) for name in names)
    )
    if answer is None:
        fail(
            NOT_TRIED + "ni /liste ni /list n'ont donné à Alice une réponse citant Alice, Bob et Charlie.",
            sent="/liste, puis /list (envoyés par Alice)",
            expected="une réponse à Alice seule, avec les noms des trois connectés",
            received=_transcript(alice),
        )
    command, reply_lines = answer
    reply = {line.strip() for line in reply_lines if line.strip()}
    room.prove_absent(
        alice,
        "Un simple message, sans la liste",
        [bob, charlie],
        lambda line: line.strip() in reply or "/list" in line,
        [bob, charlie],
        since=marks,
        summary=f"La réponse à {command} (ou la commande elle-même) est arrivée aussi chez Bob ou "
        "Charlie : seul celui qui la demande doit la recevoir.",
        hint="Répondez sur le socket du demandeur seulement, au lieu de diffuser.",
    )


def _minutes_around(before: datetime, after: datetime) -> set[str]:
    """Every "HH:MM" from one minute before `before` to one minute after `after`."""
    moment, last = before - timedelta(minutes=1), after + timedelta(minutes=1)
    minutes = set()
    while moment <= last:
        minutes.add(moment.strftime("%H:%M"))
        moment += timedelta(minutes=1)
    minutes.add(last.strftime("%H:%M"))
    return minutes


@verification("B02", "Horodatage [HH:MM]", requires=("S01",))
def test_horodatage(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    exchanges = ((alice, bob, "Quelle heure est-il ?"), (bob, alice, "L'heure du bonus"))
    for sender, receiver, message in exchanges:
        mark, before = receiver.mark(), datetime.now()
        room.say(sender, message, [receiver])
        after = datetime.now()
        line = next(line for line in receiver.lines(mark) if message in line)
        found = BRACKETED_TIME_PREFIX.match(line)
        expected = f"[{after:%H:%M}] {sender.name} : {message}"
        if found is None and TIME_LIKE.search(line.split(message)[0]):
            fail(
                "Une heure est présente mais pas sous la forme [HH:MM] (crochets, deux chiffres, "
                "deux-points, puis une espace) au début de la ligne relayée.",
                expected=expected,
                received=line,
                hint='datetime.now().strftime("[%H:%M] ") donne exactement « [14:05] ».',
            )
        if found is None:
            fail(NOT_TRIED + "aucune heure [HH:MM] au début des messages relayés.", expected=expected, received=line)
        if f"{found[1]}:{found[2]}" not in _minutes_around(before, after):
            fail(
                f"L'heure indiquée ne correspond pas à l'heure actuelle ({after:%H:%M}, à une minute près).",
                expected=expected,
                received=line,
                hint='Prenez l\'heure au moment du relais : datetime.now().strftime("%H:%M") (24 h, heure locale).',
            )


@verification("B03", "Messages privés /privé", requires=("S01",))
def test_prive(room: ChatRoom) -> None:
    alice, bob, charlie = room.join("Alice"), room.join("Bob"), room.join("Charlie")
    secret = "Rendez-vous au parc, ne le dis pas"
    charlie_mark, bob_mark = charlie.mark(), bob.mark()
    commands = (f"/privé Bob {secret}", f"/prive Bob {secret}")
    answer = _first_answer(
        room, alice, commands, bob, lambda lines: any(secret in line and "/priv" not in line for line in lines)
    )
    if answer is None:
        fail(
            NOT_TRIED + "après /privé Bob … (puis /prive Bob …) envoyé par Alice, Bob n'a reçu aucun message privé.",
            sent="\n".join(commands),
            expected=f"chez Bob seul : une ligne avec « Alice » et « {secret} »",
            received=bob.describe_received(bob_mark),
        )
    line = next(line for line in answer[1] if secret in line)
    if "Alice" not in line:
        fail(
            "Le message privé arrive chez Bob sans le nom de l'expéditeur.",
            sent=answer[0],
            expected=f"(privé) Alice : {secret}",
            received=line,
            hint="Bob doit savoir qui lui écrit : ajoutez le nom de l'expéditeur.",
        )
    room.prove_absent(
        alice,
        "Un simple message, sans secret",
        [bob, charlie],
        lambda received: secret in received,
        [charlie],
        since={charlie: charlie_mark},
        summary="Le message privé pour Bob est arrivé aussi chez Charlie : il ne doit aller qu'à Bob.",
        hint="Cherchez le socket de Bob dans le registre et envoyez-lui le message, à lui seul, au lieu de diffuser.",
    )


@verification("B04", "/quitter", requires=("S01",))
def test_quitter(room: ChatRoom) -> None:
    room.join("Alice")
    bob = room.join("Bob")
    console_mark = room.console.mark()
    if _first_answer(room, bob, ("/quitter", "/exit"), bob, lambda _lines: bob.closed) is None:
        fail(
            NOT_TRIED + "après /quitter (puis /exit), le serveur n'a pas fermé la connexion de Bob.",
            sent="/quitter\n/exit",
            expected="la connexion de Bob fermée par le serveur, et « Bob a quitté le chat. » dans la console",
            received=_transcript(bob),
        )
    left = room.wait_line_or_rest(
        room.console, lambda line: "Bob" in line and "quitt" in line.lower(), timing.JOIN, since=console_mark
    )
    if left is None:
        fail(
            "La connexion de Bob est fermée, mais la console n'annonce pas son départ.",
            sent="/quitter",
            expected="Bob a quitté le chat.",
            received=room.console.tail(5),
            hint="Traitez /quitter comme une déconnexion : même code de départ (retrait du registre, message).",
        )


def _file_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _file_holds(room: ChatRoom, path: Path, texts: tuple[str, ...], timeout: float) -> bool:
    """Look at the file until it holds every text (a file tells no one when it changes), or until the
    server stays at rest (Linux): a server waiting for input with no deadline writes nothing more."""
    process = room.server.process
    return wait_or_rest(
        lambda: all(text in (_file_text(path) or "") for text in texts),
        timeout,
        [process],
        room.at_rest,
        timing.ALIVE_PROBE,
    )


@verification("B05", "Historique", requires=("S01",))
def test_historique(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    messages = ("Premier message pour l'historique", "Second message pour l'historique")
    room.say(alice, messages[0], [bob])
    room.say(bob, messages[1], [alice])
    # Once the server is done with Bob's message, a history written as messages come is on disk, or on its
    # way from another thread of the server: a server at rest is done with it, and elsewhere a file not
    # even created by then gets the short wait.
    room.settle(bob, [])
    path = room.server.process.workdir / HISTORY_FILE
    if _file_holds(room, path, messages, timing.RELAY if path.exists() else timing.RELAY_FALLBACK):
        return
    text = _file_text(path)
    if text is None:
        fail(
            NOT_TRIED + f"aucun fichier {HISTORY_FILE} dans le dossier où tourne le serveur.",
            expected=f"{HISTORY_FILE} contenant les messages relayés",
        )
    fail(
        f"{HISTORY_FILE} existe mais ne contient pas les messages relayés pendant que le serveur tourne.",
        sent="\n".join(messages),
        expected="chaque message relayé, écrit au fur et à mesure",
        received=text[-300:] or "(fichier vide)",
        hint="Python garde les écritures dans un tampon : appelez fichier.flush() après chaque write(), ou "
        'ouvrez le fichier (mode "a") à chaque message avec un bloc with.',
    )


@verification("B06", "/kick", requires=("S01",))
def test_kick(room: ChatRoom) -> None:
    alice, bob, charlie = room.join("Alice"), room.join("Bob"), room.join("Charlie")
    room.console_command("/kick Bob")
    process = room.server.process
    # A server that never reads its console cannot kick: told as soon as that is plain (Linux).
    console_ignored = SeenTwice(lambda: rest.ignores_input(process))
    wait_probing(lambda: bob.closed or console_ignored(), KICK_S, [bob, process], POLL_S)
    if not bob.closed and process.input_pending():
        fail(
            NOT_TRIED + "le serveur ne lit pas sa console : « /kick Bob », tapé sur son entrée standard, "
            "n'a jamais été lu.",
            sent="/kick Bob (console du serveur)",
            expected=f"la connexion de Bob fermée en {seconds(KICK_S)} s",
            received=room.console.tail(5),
            hint=KICK_HINT,
        )
    if not bob.closed:
        fail(
            NOT_TRIED + f"{seconds(KICK_S)} s après « /kick Bob » tapé dans la console du serveur, la "
            "connexion de Bob est toujours ouverte.",
            sent="/kick Bob (console du serveur)",
            expected=f"la connexion de Bob fermée en {seconds(KICK_S)} s",
            received=room.console.tail(5),
            hint=KICK_HINT,
        )
    room.say(alice, "Bob est parti, on continue", [charlie])
    room.say(charlie, "Oui, on continue", [alice])


@verification("B07", "Noms uniques", requires=("S01",))
def test_noms_uniques(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    bob_mark, console_mark = bob.mark(), room.console.mark()
    impostor = room.connect_silent("second client (il se dit Alice)")
    impostor.send_line("Alice")

    def seen(text: str) -> bool:
        return any(text in line for line in room.console.lines(console_mark) + bob.lines(bob_mark))

    # Evidence that the server dealt with the name: a reply, a closed connection, or a console line
    # (briefly, for a server that showed no evidence of the first two joins either).
    patience = timing.JOIN if room.join_evidence else timing.JOIN_FALLBACK
    # A line the impostor gets on arriving (a welcome, a token) may come before the name is read: it proves
    # nothing about the name. The wait also ends once the server is at rest (Linux): it dealt with the name.
    room.wait_until(
        lambda: impostor.closed or seen("Alice") or any("Alice" in line for line in impostor.lines()),
        patience,
        [impostor, room.console, bob],
    )
    intrusion = "Je suis la vraie Alice"
    try:
        impostor.send_line(intrusion)
    except CheckFailure:
        pass  # refused and already closed by the server: nothing more can be sent
    room.wait_until(
        lambda: impostor.closed or seen(intrusion), room.track_record.relay_timeout(), [impostor, room.console, bob]
    )
    if impostor.closed or not seen(intrusion):
        room.say(alice, "Un message de la vraie Alice", [bob])
    else:  # taken: a console line may come before its relay to Bob is sent, the impostor's next line after
        room.settle(impostor, [bob])
    # Whatever the relay looks like (even without any name): the second "Alice" speaks to the room.
    stolen = [line for line in bob.lines(bob_mark) if spoken(line, intrusion)]
    if stolen:
        fail(
            NOT_TRIED + "un second client nommé « Alice » a été accepté : son message arrive chez les autres.",
            sent=f"(second client) Alice\n(second client) {intrusion}",
            expected="le second « Alice » refusé (prévenu, puis déconnecté ou invité à choisir un autre nom)",
            received=f"chez Bob : {stolen[0]}",
            hint="À l'arrivée d'un nom, vérifiez sous le verrou qu'il n'est pas déjà dans le registre, et "
            "enregistrez-le dans la même section protégée.",
        )
