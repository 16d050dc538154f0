"""Client checks C01..C07: the grader plays the server, the student's client runs with a typed stdin.

Each check starts the student's `client_exo.py` against a scripted server (`client_session`), types into
its stdin as a user would, and reads what it prints. A line received by the client may be printed after a
pending input prompt (`Votre message : Bob : Salut`), so received lines are matched with "contains".
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from functools import partial
from typing import NoReturn, TypeVar, cast

from grader.checks import verification
from grader.formats import seconds
from grader.harness import rest, timing
from grader.harness.client_session import ClientSession
from grader.harness.connection import LineConnection
from grader.harness.errors import CheckFailure, fail
from grader.harness.matching import contains_message, parse_relay
from grader.harness.process import StudentProcess
from grader.harness.scope import CheckScope
from grader.harness.student import PORT_HINT
from grader.harness.waiting import SeenTwice, wait_for, wait_or_rest, wait_probing

NAME = "Alice"
MESSAGES = ("Bonjour tout le monde", "Comment allez-vous ?")
PUSHED = ("Bob : Salut Alice !", "Charlie : Tu es la ?")  # ASCII: C07 tests UTF-8
WAKE_UP = "Tu m'entends ?"
AFTER_CLOSE = "Il y a quelqu'un ?"
TYPED_UTF8 = "Ça va très bien, Éloïse ! 🎉 こんにちは"
PUSHED_UTF8 = "Zoé : Bienvenue à toi 😀 ça marche"

RECEIVE_S = 2.0  # a pushed line must be shown within this delay (issue 4, C04)
FLOOD_BYTES = 20_000  # more than this printed after the server left: an endless printing loop
SPIN_CPU_SHARE = 0.25  # CPU time / wall time above this while idle: a loop spinning on recv() == b""

PROTOCOL_HINT = (
    "Le protocole : la première ligne envoyée est le nom seul, puis chaque ligne tapée est envoyée telle "
    "quelle. C'est le serveur qui ajoute « Nom : » en relayant (il sait quel nom va avec quelle connexion) ; "
    "si le client l'ajoute aussi, les autres lisent « Alice : Alice : … »."
)
SEND_HINT = 'Envoyez chaque ligne tapée terminée par "\\n" : client.sendall((message + "\\n").encode("utf-8")).'
WAITS_FOR_REPLY_HINT = (
    "Le premier message est passé, pas le second : le client attend sans doute une réponse du serveur "
    "(recv()) après chaque envoi, alors que le serveur ne renvoie rien à l'expéditeur. La réception doit "
    "se faire dans un thread à part, pas après chaque input()."
)
RECEIVE_THREAD_HINT = (
    "input() bloque le programme tant que l'utilisateur ne tape rien : un client qui ne lit le réseau "
    "qu'après chaque input() n'affiche rien pendant ce temps. Lancez un thread de réception "
    "(threading.Thread(target=recevoir, daemon=True).start()) qui boucle sur recv() et affiche chaque "
    "ligne dès qu'elle arrive, pendant que le programme principal attend la saisie."
)
EXIT_HINT = (
    "Après exit : sortez de la boucle de saisie et fermez le socket. Un thread non daemon encore bloqué "
    "(dans recv() ou input()) garde le programme en vie après la fin du programme principal : créez le "
    "thread de réception avec daemon=True. Attention : close() seul ne débloque pas toujours un recv() en "
    "cours dans un autre thread ; client.shutdown(socket.SHUT_RDWR) avant client.close() le débloque."
)
EXIT_COMMAND_HINT = (
    "Comparez chaque ligne tapée à \"exit\" avant de l'envoyer : si c'est exit, sortez de la boucle de "
    "saisie au lieu de l'envoyer, fermez la connexion (client.close()) et terminez le programme."
)
UTF8_HINT = (
    'Encodez en UTF-8 ce que vous envoyez (message.encode("utf-8")) et décodez en UTF-8 ce que vous '
    'recevez (donnees.decode("utf-8")).'
)
SERVER_GONE_HINT = (
    "Quand le serveur ferme la connexion, recv() renvoie b'' (et un envoi peut lever BrokenPipeError ou "
    "ConnectionResetError). Dans le thread de réception : si recv() renvoie b'', affichez « Connexion "
    "fermée par le serveur. » et sortez de la boucle ; attrapez OSError autour de recv() et de sendall() ; "
    "puis terminez le programme (par exemple os._exit(0), ou un drapeau vérifié après chaque input())."
)


LOOP_HINT = (
    "Après l'envoi du nom, le client continue : il lance le thread de réception, puis boucle sur "
    'input("Votre message : ") et envoie chaque ligne tapée, jusqu\'à exit (TODO 3 du fichier de départ).'
)
LOOP_PROBE = "Premier message"  # typed before C05/C06: the client must have run its input loop...
LOOP_ANSWER = "Bob : Bien recu"  # ...and another user answers it


def _ended(process: StudentProcess, timeout: float) -> int | None:
    """The exit code if the program ends within timeout, once its last error output has been read."""
    code = process.wait_exit(timeout)
    if code is not None:
        process.stderr.wait_eof(timing.DRAIN)
    return code


def _type_name(session: ClientSession) -> tuple[str, int]:
    """Wait for the name prompt, type the name; returns what the client had printed before, and its size
    in bytes (anything printed later is the client's reaction to the name)."""
    process = session.process
    if not session.wait_prompt(timing.PROMPT):
        if _ended(process, 0) is not None:
            fail(
                "Le client s'est arrêté avant même de demander le nom.",
                received=process.traceback_tail() or process.stdout.tail() or None,
                hint="Lancez python client_exo.py vous-même et lisez le message d'erreur.",
            )
        fail(
            f"Le client n'affiche aucune invite en {seconds(timing.PROMPT)} s : il devrait demander le nom.",
            expected="Entrez votre nom : ",
            hint='nom = input("Entrez votre nom : ")',
        )
    shown, printed = process.stdout.text(), process.stdout.total_bytes
    session.type_line(NAME)
    return shown, printed


def _connect(session: ClientSession) -> LineConnection:
    """The prompt shown, the name typed, the client connected to the scripted server."""
    _type_name(session)
    try:
        return session.accept(timing.ACCEPT)
    except CheckFailure:
        if session.process.poll() == 0 and not session.process.has_traceback():
            fail(
                "Le client se termine normalement juste après la saisie du nom, sans jamais se connecter au serveur.",
                sent=NAME,
                hint="Après le nom : connexion = socket.create_connection((HOTE, PORT)), envoi du nom, "
                "puis la boucle de saisie des messages.",
            )
        raise


def _in_chat_loop(session: ClientSession, connection: LineConnection) -> bool:
    """Wait, up to timing.JOIN, until the client sent its first line or closed, or (Linux) waits for a
    typed line: it is done with what it does on connecting. False at the deadline."""
    process = session.process
    return bool(
        wait_probing(
            lambda: bool(connection.lines()) or connection.closed or rest.waiting_at_keyboard(process),
            timing.JOIN,
            [connection, process],
            timing.ALIVE_PROBE,
        )
    )


def _first_line(session: ClientSession, connection: LineConnection) -> str | None:
    """The first line the client sent (the name, for a client that follows the protocol), within
    timing.JOIN. A client already waiting for a typed line has sent what it sends on connecting: it gets
    timing.RELAY_FALLBACK more for that to arrive, or less once it is at rest (Linux)."""
    if _in_chat_loop(session, connection) and not connection.lines():
        wait_or_rest(
            connection.lines, timing.RELAY_FALLBACK, [connection, session.process], session.at_rest, timing.ALIVE_PROBE
        )
    lines = connection.lines()
    return lines[0] if lines else None


def _typed_line_arrives(
    session: ClientSession, connection: LineConnection, predicate: Callable[[str], bool], since: int
) -> str | None:
    """The first line since `since` that the scripted server received and that satisfies predicate, after
    a line was typed: within timing.RELAY, or sooner None once the client plainly ignores the typed line
    (Linux: it waits unread while every thread is blocked elsewhere, e.g. waiting for a reply in recv()),
    or once the client is at rest without having sent it."""
    process = session.process
    ignored = SeenTwice(lambda: rest.ignores_input(process))

    def arrived() -> list[str]:
        return [line for line in connection.lines(since) if predicate(line)]

    wait_or_rest(
        lambda: arrived() or ignored(), timing.RELAY, [connection, process], session.at_rest, timing.ALIVE_PROBE
    )
    found = arrived()
    return found[0] if found else None


def _fail_if_ended_after_name(session: ClientSession) -> None:
    """One clear cause for a client that ended by itself (code 0, no traceback) having sent nothing but its
    name: every check that needs more fails with it, instead of a cause drawn from what did not come."""
    process = session.process
    code = _ended(process, 0)
    sent = [line for connection in session.server.connections for line in connection.lines()]
    if code != 0 or process.has_traceback() or not sent or any(line.strip() != NAME for line in sent):
        return
    fail(
        "Le client s'est arrêté juste après avoir envoyé son nom : il ne lit pas les messages tapés ensuite "
        "et n'affiche pas ceux des autres.",
        sent=NAME,
        received=process.stdout.tail(5) or None,
        hint=LOOP_HINT,
    )


F = TypeVar("F", bound=Callable[..., None])


def _told_if_ended_after_name(check: F) -> F:
    """A client check whose failure is told as _fail_if_ended_after_name when that is what happened."""

    @functools.wraps(check)
    def run(client_session: ClientSession, *args: object, **kwargs: object) -> None:
        try:
            check(client_session, *args, **kwargs)
        except CheckFailure:
            _fail_if_ended_after_name(client_session)
            raise

    return cast(F, run)


def _ran_its_loop(session: ClientSession, connection: LineConnection) -> None:
    """Before a scenario that tests how the client ends (C05, C06): a typed line is taken by the client's
    input loop (it reaches the scripted server, or leaves the stdin pipe while the client runs), so that a
    client that ends by itself never passes them; then another user answers, so that a client that waits
    for an answer after each send (C03, C04 charge that) is back at its prompt. CheckFailure otherwise."""
    process = session.process
    mark = connection.mark()
    session.type_line(LOOP_PROBE)
    taken = _typed_line_arrives(session, connection, lambda line: LOOP_PROBE in line, mark) is not None
    if not taken and (process.poll() is not None or process.stdin_unread() != 0):
        _fail_if_ended_after_name(session)
        fail(
            "Le client ne traite pas la ligne tapée (voir C03) : sa fin ne peut pas être testée.",
            sent=LOOP_PROBE,
            expected=f"{LOOP_PROBE}, reçu par le serveur",
            received=process.traceback_tail() or connection.describe_received(mark),
            hint=LOOP_HINT,
        )
    out_mark = process.stdout.mark()
    connection.send_line(LOOP_ANSWER)
    _shown_unless_alone_in_input(process, LOOP_ANSWER, out_mark)


def _pasted_prefix(line: str) -> bool:
    """True when the client wrote `Alice : message` itself."""
    relay = parse_relay(line, NAME)
    return relay is not None and bool(relay.message)


def _waits_for_name(session: ClientSession) -> None:
    """Fail a client that does not wait for a name on its stdin: it ends after its first words without
    anything typed (a usage line, then sys.exit). Linux: a client with a thread blocked reading its
    stdin waits; elsewhere one that ends before the name is typed does not."""
    process = session.process
    wait_probing(
        lambda: process.poll() is not None or rest.reading_keyboard(process) is not False,
        timing.PROMPT,
        [process],
        timing.ALIVE_PROBE,
    )
    _fail_if_ended_without_reading(process)


def _fail_if_ended_without_reading(process: StudentProcess) -> None:
    """A client that ended by itself, without a traceback, before the name could be typed never read it."""
    code = _ended(process, 0)
    if code is not None and not process.has_traceback():
        _fail_never_read(process, code)


def _fail_if_name_left_unread(process: StudentProcess) -> None:
    """A client that ended by itself, without a traceback, once the name was typed, and left it unread in
    its stdin (or had closed it: the name could not be written) never read it. Where /proc cannot show the
    client waiting at the keyboard (_waits_for_name), this is what tells it, whichever came first, its exit
    or the typing: the bytes stay in the pipe. A client still running with the name unread may be on its
    way out (what it printed last came after the prompt): it is given until it reads the name or ends.
    Windows cannot count the bytes: its typed name counts as read."""
    wait_probing(
        lambda: process.poll() is not None or not process.input_pending(), timing.TYPE, [process], timing.ALIVE_PROBE
    )
    code = _ended(process, 0)
    if code is not None and not process.has_traceback() and (process.stdin_broken or process.input_pending()):
        _fail_never_read(process, code)


def _fail_never_read(process: StudentProcess, code: int) -> NoReturn:
    fail(
        f"Le client s'est arrêté (code {code}) sans attendre qu'on tape le nom : il ne le lit pas au clavier.",
        expected="Entrez votre nom :  (puis le programme attend la saisie)",
        received=process.stdout.tail(3) or None,
        hint='Demandez le nom au clavier, au lancement : nom = input("Entrez votre nom : ") (pas sur la '
        "ligne de commande : le correcteur, comme l'utilisateur, le tape).",
    )


@verification("C01", "Le client demande le nom", points=1)
def test_demande_le_nom(client_session: ClientSession, scope: CheckScope) -> None:
    if client_session.wait_prompt(timing.PROMPT):
        _waits_for_name(client_session)
    try:
        prompt, before = _type_name(client_session)
    except CheckFailure:
        # It may end between the look above and the typing: the same cause, whichever came first.
        _fail_if_ended_without_reading(client_session.process)
        raise
    if "nom" not in prompt.lower():
        scope.remark(f"L'invite ne parle pas du nom : « {prompt.strip()[:60]} ». Attendu : « Entrez votre nom : ».")
    process, server = client_session.process, client_session.server
    # The name was read when the client then connects, prints something more, or ends (a starter).
    reacted = wait_for(
        lambda: bool(server.connections) or process.stdout.total_bytes > before or process.poll() is not None,
        timing.ACCEPT,
        [server, process, process.stdout],
    )
    _fail_if_name_left_unread(process)
    if process.has_traceback():
        trace = process.traceback_tail()
        fail(
            "Le client plante juste après avoir lu le nom.",
            sent=NAME,
            received=trace,
            hint=PORT_HINT
            if "ConnectionRefusedError" in trace
            else "Lisez la dernière ligne de la trace d'erreur : elle dit quelle instruction a échoué.",
        )
    if not reacted:
        fail(
            f"Après la saisie du nom, rien ne se passe en {seconds(timing.ACCEPT)} s : ni connexion au serveur, "
            "ni affichage.",
            sent=NAME,
            hint='Lisez le nom avec nom = input("Entrez votre nom : "), puis connectez-vous au serveur.',
        )


@verification("C02", "Le nom est envoyé dès la connexion", points=1, requires=("C01",), todo=2)
def test_nom_envoye(client_session: ClientSession) -> None:
    connection = _connect(client_session)
    first = _first_line(client_session, connection)
    if first is not None and first.strip() == NAME:
        return
    late = first is None
    if late:
        client_session.type_line(MESSAGES[0])
        first = _typed_line_arrives(client_session, connection, lambda _line: True, 0)
    sent = f"{NAME} (le nom tapé)" + (f", puis {MESSAGES[0]}" if late else "")
    hint = (
        "Juste après connect(), envoyez le nom seul, terminé par un saut de ligne : "
        'client.sendall((nom + "\\n").encode("utf-8")).'
    )
    if first is None and connection.partial().strip():
        first = connection.partial()
        sent += " (reçu sans fin de ligne : voir C03)"
    if first is None:
        fail("Le serveur n'a rien reçu : ni le nom, ni le message tapé ensuite.", sent=sent, expected=NAME, hint=hint)
    if _pasted_prefix(first):
        fail(
            "Le client envoie « Nom : message » au lieu du nom seul : ce n'est pas le protocole.",
            sent=sent,
            expected=f"{NAME} (le nom seul, en première ligne)",
            received=first,
            hint=PROTOCOL_HINT,
        )
    if first.strip() == NAME:
        fail(
            "Le nom n'est envoyé qu'avec le premier message tapé : après la connexion, le serveur n'a rien "
            "reçu tant que rien n'était tapé.",
            sent=sent,
            expected=NAME,
            received=first,
            hint=hint,
        )
    summary = (
        "Le nom n'est jamais envoyé : la première ligne reçue est le premier message tapé."
        if first.strip() == MESSAGES[0]
        else "La première ligne reçue n'est pas le nom seul."
    )
    fail(summary, sent=sent, expected=NAME, received=first, hint=hint)


@verification("C03", "Envoi des messages", points=1, requires=("C01",), todo=3)
@_told_if_ended_after_name
def test_envoi_des_messages(client_session: ClientSession) -> None:
    connection = _connect(client_session)
    for message in MESSAGES:
        mark = connection.mark()
        client_session.type_line(message)
        line = _typed_line_arrives(client_session, connection, partial(contains_message, message=message), mark)
        if line is None:
            fail(
                "Le message tapé n'est pas arrivé au serveur (aucune ligne complète le contenant).",
                sent=message,
                expected=message,
                received=connection.describe_received(mark),
                hint=SEND_HINT if message == MESSAGES[0] else WAITS_FOR_REPLY_HINT,
            )
        if _pasted_prefix(line):
            fail(
                "Le client ajoute lui-même « Nom : » devant ses messages : ce n'est pas le protocole.",
                sent=message,
                expected=message,
                received=line,
                hint=PROTOCOL_HINT,
            )
    received = connection.lines()
    if received and received[0].strip() == NAME:
        received = received[1:]
    if received != list(MESSAGES):
        fail(
            "Chaque ligne tapée doit arriver au serveur en exactement une ligne, sans ligne en plus.",
            sent="\n".join(MESSAGES),
            expected="\n".join(MESSAGES),
            received="\n".join(received),
            hint='Envoyez exactement message + "\\n" pour chaque ligne tapée, rien d\'autre.',
        )


def _shown(process: StudentProcess, text: str, timeout: float, since: int) -> bool:
    return process.stdout.wait_text(lambda output: text in output, timeout, since=since)


def _shown_unless_alone_in_input(process: StudentProcess, text: str, since: int) -> bool:
    """_shown within RECEIVE_S; sooner False when the client is left with its main thread alone, waiting in
    input() (Linux): no other thread could show the line before something is typed."""

    def shown() -> bool:
        return _shown(process, text, 0, since)

    wait_probing(lambda: shown() or rest.alone_at_keyboard(process), RECEIVE_S, [process.stdout], timing.ALIVE_PROBE)
    return shown()


@verification("C04", "Réception en continu", points=2, requires=("C01",), todo=3)
@_told_if_ended_after_name
def test_reception_en_continu(client_session: ClientSession) -> None:
    connection = _connect(client_session)
    process = client_session.process
    for index, pushed in enumerate(PUSHED):
        mark = process.stdout.mark()
        connection.send_line(pushed)
        if _shown_unless_alone_in_input(process, pushed, mark):
            continue
        if _ended(process, 0) is not None:
            fail(
                "Le client s'est arrêté en recevant une ligne du serveur.",
                sent=f"(serveur) {pushed}",
                received=process.traceback_tail() or process.stdout.tail(),
            )
        which = "La ligne" if index == 0 else "La deuxième ligne"
        sent = f"(serveur, sans rien taper) {pushed}"
        expected = f"{pushed} affiché en moins de {seconds(RECEIVE_S)} s, sans rien taper"
        process.type_line(WAKE_UP)
        if _shown(process, pushed, timing.RELAY, mark):
            fail(
                f"{which} envoyée par le serveur ne s'affiche qu'après que l'utilisateur a tapé un message : "
                "le client ne lit le réseau qu'après chaque input(), il lui faut un thread de réception.",
                sent=sent,
                expected=expected,
                hint=RECEIVE_THREAD_HINT,
            )
        fail(
            f"{which} envoyée par le serveur ne s'affiche jamais, même après une saisie.",
            sent=sent,
            expected=expected,
            received=process.stdout.tail(),
            hint=RECEIVE_THREAD_HINT,
        )


def _sent_as_message(connection: LineConnection, typed: str) -> bool:
    """The typed text reached the server as a message (alone, or after a name the client put itself),
    with or without end of line."""
    sent = [*connection.lines(), connection.partial()]
    return any(line.strip() == typed or (_pasted_prefix(line) and line.strip().endswith(typed)) for line in sent)


@verification("C05", "Quitter avec exit", points=1, requires=("C01",), todo=4)
@_told_if_ended_after_name
def test_quitter_avec_exit(client_session: ClientSession, scope: CheckScope) -> None:
    connection = _connect(client_session)
    process = client_session.process
    _ran_its_loop(client_session, connection)
    client_session.type_line("exit")
    # Linux: a program whose main thread waits for a thread blocked in recv() will not end by itself.
    held_on = SeenTwice(lambda: not connection.closed and rest.held_by_readers(process))
    wait_probing(lambda: process.poll() is not None or held_on(), timing.EXIT, [process], timing.ALIVE_PROBE)
    code = _ended(process, 0)
    if code is None:
        expected = f"la connexion fermée et le programme terminé en {seconds(timing.EXIT)} s"
        # What it did with the typed line first: it may still be on its way to the scripted server.
        wait_or_rest(
            lambda: _sent_as_message(connection, "exit"),
            timing.RELAY_FALLBACK,
            [connection, process],
            client_session.at_rest,
            timing.ALIVE_PROBE,
        )
        if _sent_as_message(connection, "exit"):
            fail(
                "Le programme tourne encore après exit : « exit » a été envoyé au serveur comme un message "
                "ordinaire, le client ne reconnaît pas cette commande.",
                sent="exit",
                expected=expected,
                received=connection.describe_received(),
                hint=EXIT_COMMAND_HINT,
            )
        summary = "Le programme tourne encore après exit"
        summary += " (la connexion est fermée)" if connection.closed else " et la connexion n'est pas fermée"
        summary += " : un thread resté bloqué dans recv() le garde en vie." if held_on.held else "."
        fail(summary, sent="exit", expected=expected, hint=EXIT_HINT)
    if code != 0:
        fail(
            f"Après exit, le programme s'est terminé avec le code {code} au lieu de 0.",
            sent="exit",
            received=process.traceback_tail() or process.stderr.tail(),
            hint="Une exception non rattrapée termine le programme avec le code 1 : lisez la trace d'erreur.",
        )
    if not connection.wait_closed(timing.EXIT):
        fail(
            "Le programme s'est terminé mais le serveur n'a pas vu la connexion se fermer.",
            sent="exit",
            hint="Fermez le socket avant de quitter : client.close().",
        )
    if process.has_traceback():
        scope.remark(
            "Une trace d'erreur s'affiche en quittant (sans doute le thread de réception) : attrapez OSError "
            "autour de recv().\n" + process.traceback_tail(4)
        )


def _cpu_seconds(process: StudentProcess) -> float | None:
    usage = process.resource_usage()
    return usage[0] if usage is not None else None


def _no_endless_loop(process: StudentProcess, bytes_before: int, cpu_before: float | None, since: float) -> None:
    """Fail when, since the server left, the client printed a flood or kept a processor busy."""
    printed = process.stdout.total_bytes - bytes_before
    if printed > FLOOD_BYTES:
        fail(
            f"Boucle sans fin : après la fermeture par le serveur, le client a affiché {printed} octets "
            "(des lignes vides en rafale).",
            received=process.stdout.tail(5),
            hint=SERVER_GONE_HINT,
        )
    cpu_now = _cpu_seconds(process)
    if cpu_before is None or cpu_now is None or time.monotonic() - since < timing.EXIT:
        return  # a processor share is judged over a whole deadline, not over a moment of work
    busy, elapsed = cpu_now - cpu_before, time.monotonic() - since
    if busy > SPIN_CPU_SHARE * elapsed:
        fail(
            "Boucle sans fin : après la fermeture par le serveur, le client a occupé le processeur "
            f"{seconds(round(busy, 1))} s sur {seconds(round(elapsed, 1))} s sans rien recevoir.",
            hint=SERVER_GONE_HINT,
        )


@verification("C06", "Serveur fermé", points=0.5, requires=("C01",), todo=4)
@_told_if_ended_after_name
def test_serveur_ferme(client_session: ClientSession, scope: CheckScope) -> None:
    connection = _connect(client_session)
    _ran_its_loop(client_session, connection)
    process = client_session.process
    bytes_before, cpu_before, since = process.stdout.total_bytes, _cpu_seconds(process), time.monotonic()
    mark = process.stdout.mark()
    connection.close()

    # Linux: a client left with nothing but its main thread waiting in input() will not end by itself,
    # it ends at the next typed line; it gets that line at once instead of after timing.EXIT.
    def ended_waiting_or_flooding() -> bool:
        return (
            process.poll() is not None
            or rest.alone_at_keyboard(process)
            or process.stdout.total_bytes - bytes_before > FLOOD_BYTES
        )

    wait_probing(ended_waiting_or_flooding, timing.EXIT, [process, process.stdout], timing.ALIVE_PROBE)
    ended = _ended(process, 0) is not None
    typed = False
    if not ended:
        _no_endless_loop(process, bytes_before, cpu_before, since)
        typed = process.type_line(AFTER_CLOSE)
        ended = _ended(process, timing.EXIT) is not None
    _no_endless_loop(process, bytes_before, cpu_before, since)
    sent = "(le serveur ferme la connexion)" + (f"\n{AFTER_CLOSE} (tapé ensuite)" if typed else "")
    if process.has_traceback():
        fail(
            "Le client plante quand le serveur ferme la connexion.",
            sent=sent,
            received=process.traceback_tail(),
            hint=SERVER_GONE_HINT,
        )
    if not ended:
        fail(
            "Le client ne s'arrête pas quand le serveur ferme la connexion, ni à la ligne tapée ensuite.",
            sent=sent,
            expected=f"un message puis la fin du programme (en {seconds(timing.EXIT)} s)",
            received=process.stdout.tail(5),
            hint=SERVER_GONE_HINT,
        )
    if not "".join(process.stdout.lines(mark)).strip() and not process.stdout.partial().strip():
        scope.remark("Le client s'arrête sans dire à l'utilisateur que le serveur est parti.")


@verification("C07", "UTF-8 côté client", points=0.5, requires=("C01",), todo=3)
@_told_if_ended_after_name
def test_utf8_client(client_session: ClientSession) -> None:
    connection = _connect(client_session)
    process = client_session.process
    out_mark, mark = process.stdout.mark(), connection.mark()
    # Pushed first: shown at once, or after the typed line by a client that reads only after input().
    connection.send_line(PUSHED_UTF8)
    client_session.type_line(TYPED_UTF8)
    line = _typed_line_arrives(client_session, connection, lambda received: "bien" in received, mark)
    if line is None and "bien" in connection.partial():
        line = connection.partial()  # without end of line: C03 charges that; here only the characters count
    if line is None:
        _ended(process, 0)
        fail(
            "Le message tapé avec accents et emoji n'est pas arrivé au serveur.",
            sent=TYPED_UTF8,
            expected=TYPED_UTF8,
            received=process.traceback_tail() or connection.describe_received(mark),
            hint=UTF8_HINT,
        )
    if TYPED_UTF8 not in line:
        fail(
            "Les accents ou emoji tapés n'arrivent pas intacts : le client n'envoie pas en UTF-8.",
            sent=TYPED_UTF8,
            expected=TYPED_UTF8,
            received=line,
            hint=UTF8_HINT,
        )
    if not _shown(process, PUSHED_UTF8, timing.RELAY, out_mark):
        fail(
            "Une ligne reçue avec accents et emoji ne s'affiche pas intacte : le client ne décode pas en UTF-8.",
            sent=f"(serveur) {PUSHED_UTF8}",
            expected=PUSHED_UTF8,
            received=process.stdout.tail(3),
            hint=UTF8_HINT,
        )
