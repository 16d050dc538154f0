"""Server checks S01..S11: the student's server, driven by scripted clients over real sockets.

Every check starts its own server (the `room` fixture) and judges one fault: the messages are pure ASCII
except in S06 and S10, and, except in S10 and S11, a line is sent only once the previous one has reached
its recipients (ChatRoom.say), as a person typing would, so that a server without line framing fails
S10/S11 and nothing else.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable

from grader.checks import verification
from grader.harness import causes, matching, timing
from grader.harness.causes import LOCK_HINT, RESET_HINT, UTF8_HINT
from grader.harness.connection import ScriptedClient
from grader.harness.errors import CheckFailure, fail
from grader.harness.exercise import SERVER
from grader.harness.french import de
from grader.harness.process import TRACEBACK_MARKERS
from grader.harness.room import ChatRoom
from grader.harness.scope import CheckScope
from grader.harness.spinning import SPIN_HINT, SpinWatch, spinning
from grader.harness.student import seconds
from grader.harness.waiting import LineSource, SeenTwice, wait_probing

NEEDS_START = ("S01",)
VANISH_TRIES = 8  # S08: Alice speaks while clients vanish, this many times (a race is caught on every run)
VANISHING = 3  # S08: clients that vanish at once, after the first try (Frank, then Eve)
CONTROL_LINES = 10  # S08: lines Alice says at once before anyone leaves (a server losing lines anyway)
# S08's first try: Eve (a narrow client) reads nothing while Alice sends this many lines of FILL_LENGTH
# characters, over three times what the way to a narrow client holds (measured: up to 110 kB on Linux).
FILL_LINES = 256
FILL_LENGTH = 1500
LOAD_DEADLINE_S = 10.0  # S11: the whole burst must be delivered within this time
FILL_DEADLINE_S = 20.0  # S08, S11: the fill delivered to Charlie, for as long as it progresses
LOAD = "pendant la charge (30 clients qui parlent, d'autres qui arrivent)"

THREAD_HINT = (
    "Le serveur doit servir chaque client dans son propre thread "
    "(threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start() juste après "
    "accept()), et lire le nom du client dans ce thread, jamais dans la boucle d'accept()."
)
FRAMING_HINT = (
    "TCP transporte un flot d'octets, pas des messages : un recv() peut contenir deux lignes, ou une "
    "moitié de ligne (voire la moitié d'un caractère UTF-8). Accumulez les octets dans un tampon et ne "
    'décodez et ne traitez que les lignes complètes, terminées par "\\n" ; ou lisez avec '
    'fichier = connexion.makefile("r", encoding="utf-8") puis fichier.readline().'
)
LOST_HINT = (
    "Des messages se perdent : protégez la liste des clients par un verrou (threading.Lock), ne laissez "
    "pas un envoi raté vers un client arrêter le thread d'un autre, et lisez le flux ligne par ligne."
)
BROADCAST_HINT = (
    "Dans la diffusion, entourez chaque envoi d'un try/except OSError : un client parti ne doit pas "
    "arrêter le thread de celui qui parle. Et retirez de la liste (sous le verrou) le client qui s'en va."
)

LOSSY_REMARK = (
    "Ce serveur perd des lignes même quand personne ne part (voir S05) : une ligne perdue pendant les départs "
    "brutaux n'est pas comptée ici comme une faute de plus."
)
ECHO_SUMMARY = "{name} a reçu son propre message en retour, mais aucun autre client ne l'a reçu."
ECHO_HINT = (
    "Le serveur répond seulement à l'expéditeur : parcourez la liste de tous les clients connectés et "
    "envoyez le message à chacun des autres."
)


# --- shared helpers -------------------------------------------------------------------------------------


def _quoted(lines: list[str]) -> str:
    return "\n  ".join(f"« {line} »" for line in lines) or "rien"


def _sent(name: str, message: str) -> str:
    return f"{name} envoie « {message} »"


def _others(clients: list[ScriptedClient], sender: ScriptedClient) -> list[ScriptedClient]:
    return [client for client in clients if client is not sender]


def _room_sources(room: ChatRoom) -> list[LineSource]:
    """Where ChatRoom.join looks for the evidence that the server took a name."""
    return [room.console, room.server.process.stderr, *room.clients]


def _join_all(room: ChatRoom, names: list[str], *, narrow: str = "") -> list[ScriptedClient]:
    """room.join for each name, in turn (the one named `narrow` takes in little at a time). A server that
    showed it took the first names but not a later one serves one client at a time, and one that drops a
    client when the next one comes keeps no connection: both fail at once, instead of costing a deadline
    per name."""
    clients: list[ScriptedClient] = []
    for name in names:
        marks = {source: source.mark() for source in _room_sources(room)}
        started = time.monotonic()
        clients.append(room.join(name, narrow=name == narrow))
        joined = f"{name} se connecte et envoie « {name} »"
        if room.join_evidence and not any(
            name in line for source in _room_sources(room) for line in source.lines(marks.get(source, 0))
        ):
            _name_garbled(room, name, marks[room.console])
            crashed = causes.crash(room.server.process, f"à l'arrivée {de(name)}")
            if crashed is not None:
                fail(crashed.summary, sent=joined, received=crashed.received, hint=crashed.hint)
            waited = (
                f" en {seconds(room.last_join_timeout)} s"
                if time.monotonic() - started >= room.last_join_timeout
                else ""
            )
            fail(
                f"{name} s'est connecté et a envoyé son nom, mais le serveur ne l'a pas pris en compte{waited}, "
                "alors qu'il avait pris ceux d'avant.",
                sent=joined,
                expected=f"la console affiche « {name} (127.0.0.1) a rejoint le chat. »",
                received=_quoted(room.console.lines(marks[room.console])[-3:]),
                hint=THREAD_HINT,
            )
        dropped = [client for client in clients if client.closed]
        if dropped:
            when = "juste après son arrivée" if dropped[0] is clients[-1] else f"à l'arrivée du client {name}"
            fail(
                f"Le serveur a fermé la connexion du client {dropped[0].name} {when}, sans qu'il soit parti.",
                sent=joined,
                expected=f"le client {dropped[0].name} reste connecté",
                received=dropped[0].describe_received(),
                hint=_dropped_hint(room),
            )
    return clients


def _dropped_hint(room: ChatRoom) -> str:
    """A connection closed right after the name: the message loop is missing where each client has its
    thread; elsewhere the client is served in the accept loop, and the thread comes first."""
    if causes.thread_per_client(room.server.process.workdir / SERVER):
        return causes.KEEP_OPEN_HINT
    return (
        "Gardez la connexion de chaque client ouverte jusqu'à son départ (dans le dictionnaire des clients). "
        + THREAD_HINT
    )


def _name_garbled(room: ChatRoom, name: str, since: int) -> None:
    """A name with accents the server announced, but not intact: a UTF-8 fault, not a name not taken."""
    shown = room.console.lines(since)
    if not name.isascii() and any("rejoint" in line.lower() or "join" in line.lower() for line in shown):
        fail(
            f"Le nom « {name} » n'apparaît pas intact sur la console du serveur.",
            sent=f"{name} se connecte et envoie « {name} »",
            expected=f"{name} (127.0.0.1) a rejoint le chat.",
            received=_quoted(shown[-3:]),
            hint=UTF8_HINT,
        )


def _echo_only(sender: ScriptedClient, since: int, message: str, recipients: list[ScriptedClient]) -> bool:
    """The message came back to its sender and reached none of the others, even without end of line."""
    return causes.arrived(sender, message, since) and not any(causes.arrived(r, message) for r in recipients)


def _say(
    room: ChatRoom,
    sender: ScriptedClient,
    message: str,
    recipients: list[ScriptedClient],
    *,
    summary: str | None = None,
    hint: str | None = None,
) -> dict[ScriptedClient, str]:
    """room.say (the line each recipient got), with the fault named when it fails: an echo to the sender
    alone, or the caller's diagnosis (`summary` before the harness's own, `hint` instead of its)."""
    mark = sender.mark()
    try:
        return room.say(sender, message, recipients)
    except CheckFailure as failure:
        if room.server.process.poll() is not None:
            raise  # the harness told the crash, with its traceback
        if causes.traceback_seen(room.server.process):
            hint = None  # the harness told the traceback, with the hint of its exception
        elif _echo_only(sender, mark, message, recipients):
            summary, hint = ECHO_SUMMARY.format(name=sender.name), ECHO_HINT
        raise CheckFailure(
            f"{summary} {failure.summary}" if summary else failure.summary,
            sent=failure.sent,
            expected=failure.expected,
            received=failure.received,
            hint=hint or failure.hint,
        ) from failure


def _layout(line: str, name: str, message: str) -> str:
    """How the server lays a relayed line out: the line with its time, message and sender's name blanked.

    Every relay of one server has the same layout ("⟨nom⟩ : ⟨message⟩", "[HH:MM] ⟨nom⟩: ⟨message⟩"...);
    a line cut or glued by a server without line framing, or a name garbled, does not.
    """
    return matching.TIME_OF_DAY.sub("HH:MM", line).replace(message, "⟨message⟩").replace(name, "⟨nom⟩")


def _remark_separator(scope: CheckScope, line: str, name: str) -> None:
    relay = matching.parse_relay(line, name)
    if relay is not None and not relay.exact_separator:
        scope.remark(
            f"Séparateur accepté, mais différent de l'énoncé : « {line} » ; l'énoncé écrit "
            "« Nom : message » (un espace de chaque côté du deux-points)."
        )


def _expect_relay(scope: CheckScope, recipient: ScriptedClient, since: int, name: str, message: str) -> None:
    """The recipient got exactly `name : message` (optional [HH:MM], any spacing around ':')."""
    lines = recipient.lines(since)
    relayed = [line for line in lines if matching.is_relay(line, name, message)]
    if relayed:
        _remark_separator(scope, relayed[0], name)
        return
    summary, hint = matching.diagnose_relay(lines, name, message)
    fail(
        summary,
        sent=_sent(name, message),
        expected=f"{recipient.name} reçoit « {name} : {message} »",
        received=_quoted(lines[-3:]),
        hint=hint,
    )


def _expect_announce(
    room: ChatRoom,
    since: int,
    name: str,
    keyword: str,
    timeout: float,
    *,
    sent: str,
    expected: str,
    hint: str,
    stop: Callable[[], bool] | None = None,
) -> str:
    """The console line announcing an arrival or a departure ("rejoint", "quitt"), holding the name; the
    wait ends sooner at rest, or when `stop` holds."""
    found = room.first_match_or_rest({room.console: since}, lambda text: keyword in text.lower(), timeout, stop=stop)
    line = found[1] if found else None
    shown = _quoted(room.console.lines(since)[-3:])
    if line is None:
        fail(
            f"La console du serveur n'affiche pas « {expected} ».",
            sent=sent,
            expected=expected,
            received=shown,
            hint=hint,
        )
    if name not in line:
        # The name kept its "\n": it ends a line of its own, or one that another thread's print ran into.
        kept_newline = any(earlier.rstrip().endswith(name) for earlier in room.console.lines(since))
        fail(
            f"La console annonce « {line.strip()} » sans le nom {name} sur la même ligne.",
            sent=sent,
            expected=expected,
            received=shown,
            hint=matching.STRIP_HINT if kept_newline else "Affichez le nom reçu en première ligne du client.",
        )
    return line


def _require_healthy(room: ChatRoom, situation: str, hint: str = causes.TRACE_HINT) -> None:
    """The server is still running and printed no unhandled traceback (on stderr or stdout); the hint of
    the exception when it has one, else `hint`.

    A thread that dies prints its traceback after its last words (a departure line in a `finally`): the
    verdict waits until the server is at rest (Linux), or timing.DRAIN."""
    process = room.server.process
    at_rest = SeenTwice(room.at_rest)
    wait_probing(
        lambda: _unhealthy(room) or at_rest(),
        timing.DRAIN,
        [process, process.stdout, process.stderr],
        timing.ALIVE_PROBE,
    )
    crashed = causes.crash(process, situation)
    if crashed is not None:
        fail(
            crashed.summary,
            expected="le serveur continue de tourner, sans trace d'erreur",
            received=crashed.received,
            hint=hint if crashed.hint == causes.TRACE_HINT else crashed.hint,
        )


def _unhealthy(room: ChatRoom) -> bool:
    """The server ended, or printed a traceback."""
    process = room.server.process
    return process.poll() is not None or causes.traceback_seen(process)


def _ends_healthy(room: ChatRoom, scope: CheckScope, situation: str, hint: str) -> None:
    """The check's last step: _require_healthy. Where no rest can be proven, only its deadline ends its
    wait for a late traceback: the next checks run meanwhile (CheckScope.finish_later), unless the server
    is seen unhealthy already."""
    scope.finish_later(lambda: _require_healthy(room, situation, hint), now=lambda: _unhealthy(room))


def _require_waiting(room: ChatRoom, situation: str, expected: str, seen: SpinWatch | None = None) -> None:
    """The server does not keep a processor busy once it has nothing to do (Linux; see spinning), or a
    watch that rode along the last wait (`seen`) already proved it does."""
    spin = seen.spin if seen is not None and seen.spin is not None else spinning(room.server.process)
    if spin is not None:
        fail(
            f"{situation}, le serveur occupe le processeur sans arrêt ({spin.french()}) alors qu'il n'a plus "
            "rien à faire : une boucle tourne à vide.",
            expected=expected,
            received=_quoted(room.console.lines()[-3:]),
            hint=SPIN_HINT,
        )


# Numbered messages (S05, S11): "message 3 de Membre07", to check that nothing is lost and order is kept.
_NUMBERED = re.compile(r"message (\d+) de (\w+)")


def _numbered(name: str, index: int) -> str:
    return f"message {index} de {name}"


def _glued(layouts: list[str]) -> bool:
    """One layout is another with text in front of it or after it: a line sent without end of line (a
    join notice...) stuck to a relay, not a relay cut by a server that does not frame what it reads."""
    return any("⟨nom⟩" in layout and layout in other and other != layout for layout in layouts for other in layouts)


def _check_layouts(recipient: ScriptedClient, numbered: list[tuple[str, re.Match[str]]]) -> None:
    """Every numbered line a recipient got is laid out alike. A server that never puts the sender's name in
    front of a message is not judged here: S03 judges that."""
    if not any(found.group(2) in line[: found.start()] for line, found in numbered):
        return
    layouts: dict[str, str] = {}
    for line, found in numbered:
        layouts.setdefault(_layout(line, found.group(2), found.group(0)), line)
    if len(layouts) > 1 and _glued(list(layouts)):
        fail(
            f"{recipient.name} a reçu des lignes collées : le serveur envoie une ligne sans « \\n » à la "
            "fin, et la suivante s'y colle.",
            expected="chaque ligne envoyée par le serveur terminée par « \\n »",
            received=_quoted(list(layouts.values())[:3]),
            hint=causes.NEWLINE_HINT,
        )
    if len(layouts) > 1:
        fail(
            f"{recipient.name} a reçu des messages mal découpés : ils n'ont pas tous la même forme.",
            expected="chaque message sur sa propre ligne, « Nom : message »",
            received=_quoted(list(layouts.values())[:3]),
            hint=FRAMING_HINT,
        )


def _numbered_lines(recipient: ScriptedClient, senders: set[str], mark: int) -> list[tuple[str, re.Match[str]]]:
    """The numbered lines a recipient got since `mark` from one of `senders`."""
    return [
        (line, found)
        for line in recipient.lines(mark)
        if (found := _NUMBERED.search(line)) and found.group(2) in senders
    ]


def _check_framing(clients: list[ScriptedClient], marks: dict[str, int]) -> dict[str, list[tuple[str, re.Match[str]]]]:
    """What already arrived is framed: a line glued or cut by the server is what it did, and it comes before
    what it did not do (a message that did not arrive, maybe only by a race of its own). Returns the
    numbered lines judged, by recipient (the deliveries are judged on the same lines)."""
    names = {client.name for client in clients}
    numbered = {}
    for recipient in clients:
        numbered[recipient.name] = _numbered_lines(recipient, names - {recipient.name}, marks[recipient.name])
        _check_layouts(recipient, numbered[recipient.name])
    return numbered


def _check_deliveries(clients: list[ScriptedClient], marks: dict[str, int], count: int) -> None:
    """Each client got, from each other client, messages 0..count-1 once each, in order, one per line,
    all laid out alike."""
    numbered = _check_framing(clients, marks)
    names = {client.name for client in clients}
    for recipient in clients:
        got: dict[str, list[int]] = {name: [] for name in names if name != recipient.name}
        for _, found in numbered[recipient.name]:
            got[found.group(2)].append(int(found.group(1)))
        for sender, indices in sorted(got.items()):
            missing = sorted(set(range(count)) - set(indices))
            if missing:
                fail(
                    f"{recipient.name} n'a pas reçu {len(missing)} message(s) de {sender}.",
                    sent=f"{sender} envoie « {_numbered(sender, 0)} » … « {_numbered(sender, count - 1)} »",
                    expected=f"{recipient.name} reçoit les {count} messages",
                    received=f"il manque les n° {', '.join(map(str, missing))}",
                    hint=LOST_HINT,
                )
            if indices != list(range(count)):
                fail(
                    f"{recipient.name} a reçu les messages de {sender} dans le désordre ou en double.",
                    expected=f"les n° {', '.join(map(str, range(count)))}, dans cet ordre",
                    received=f"les n° {', '.join(map(str, indices))}",
                    hint="Relayez chaque message une seule fois, dès qu'il est lu, dans l'ordre de lecture.",
                )


def _wait_deliveries(
    room: ChatRoom, clients: list[ScriptedClient], marks: dict[str, int], count: int, deadline: float
) -> bool:
    """Wait until each client got every other client's last numbered message. False at the deadline, or
    as soon as a client still waiting receives nothing more for timing.RELAY or the server is at rest
    (it has stalled)."""
    for recipient in clients:
        missing = {sender.name for sender in _others(clients, recipient)}
        read = marks[recipient.name]  # each line is parsed once (a new parse of all at each line: 10 % of S11)
        while True:
            before = recipient.mark()  # before the count: a line that comes meanwhile is waited for
            lines = recipient.lines(read)
            read += len(lines)
            missing -= set().union(*(_lasts_in(line, count) for line in lines))
            if not missing:
                break
            wait = min(timing.RELAY, deadline - time.monotonic())
            room.wait_line_or_rest(recipient, lambda line: bool(_lasts_in(line, count) & missing), wait, since=before)
            if recipient.mark() == before or time.monotonic() >= deadline:
                return False
    return True


def _lasts_in(line: str, count: int) -> set[str]:
    """The senders whose last numbered message (count - 1) is in this line."""
    return {found.group(2) for found in _NUMBERED.finditer(line) if int(found.group(1)) == count - 1}


def _expect_segment(
    room: ChatRoom,
    sender: ScriptedClient,
    recipient: ScriptedClient,
    since: int,
    messages: list[str],
    summary: str,
    *,
    sent: str,
) -> None:
    """After raw sends, the recipient got each message exactly once, in order, each on a line laid out like
    any relay of this server (whatever its prefix: S03 judges that)."""
    expected = f"{recipient.name} reçoit " + " puis ".join(f"« {sender.name} : {m} »" for m in messages)
    end = "fin du bloc"
    relayed = room.wait_line_or_rest(
        recipient,
        lambda line: matching.contains_message(line, messages[-1]),
        room.track_record.relay_timeout(),
        since=since,
    )
    if relayed is None:
        hint = FRAMING_HINT
        crashed = causes.crash(room.server.process, "après ce bloc")
        if crashed is not None:
            summary, hint = f"{summary} {crashed.summary}", crashed.hint
        elif _echo_only(sender, 0, messages[-1], [recipient]):
            summary, hint = ECHO_SUMMARY.format(name=sender.name), ECHO_HINT
        fail(summary, sent=sent, expected=expected, received=recipient.describe_received(since), hint=hint)
    # The sender's next line is relayed after whatever the block produced, and shows this server's layout.
    _say(room, sender, end, [recipient], summary=summary, hint=FRAMING_HINT)
    lines = recipient.lines(since)
    last = next(line for line in reversed(lines) if matching.contains_message(line, end))
    reference = _layout(last, sender.name, end)
    got = [message for line in lines for message in messages if _layout(line, sender.name, message) == reference]
    if got != messages:
        fail(
            summary,
            sent=sent,
            expected=expected,
            received=_quoted([line for line in lines if not matching.contains_message(line, end)]),
            hint=FRAMING_HINT,
        )


# --- the checks -----------------------------------------------------------------------------------------


@verification("S01", "Le serveur démarre", points=1)
def test_demarrage(room: ChatRoom, scope: CheckScope) -> None:
    room.connect_silent()
    room.connect_silent()
    _ends_healthy(
        room,
        scope,
        "après avoir accepté deux connexions",
        "La boucle d'accept() doit tourner sans fin (while True) et ne jamais planter.",
    )


@verification("S02", "Le serveur enregistre le nom", points=1, requires=NEEDS_START, todo=1)
def test_enregistre_nom(room: ChatRoom, scope: CheckScope) -> None:
    mark = room.console.mark()
    room.join("Alice")
    expected = "Alice (127.0.0.1) a rejoint le chat."
    # room.join already waited for a line naming Alice: more waiting only helps a line that names her.
    line = _expect_announce(
        room,
        mark,
        "Alice",
        "rejoint",
        timing.JOIN if room.join_evidence else 0,
        sent="Alice se connecte et envoie « Alice »",
        expected=expected,
        hint='Lisez la première ligne envoyée par le client (son nom), retirez le "\\n" avec '
        '.strip(), puis affichez print(f"{nom} ({adresse[0]}) a rejoint le chat.").',
    )
    if "127.0.0.1" not in line:
        scope.remark(f"L'adresse du client n'est pas affichée : « {line} » (l'énoncé : « {expected} »).")


@verification("S03", "Messages préfixés par le nom", points=2, requires=NEEDS_START, todo=3)
def test_prefixe(room: ChatRoom, scope: CheckScope) -> None:
    alice, bob = _join_all(room, ["Alice", "Bob"])
    mark = bob.mark()
    _say(room, alice, "Bonjour !", [bob])
    _expect_relay(scope, bob, mark, "Alice", "Bonjour !")


@verification("S04", "Diffusion à tous les autres", points=2, requires=NEEDS_START, todo=3)
def test_diffusion(room: ChatRoom) -> None:
    clients = _join_all(room, ["Alice", "Bob", "Charlie"])
    for sender in clients:
        _say(
            room,
            sender,
            f"Salut, ici {sender.name}",
            _others(clients, sender),
            hint="Envoyez chaque message à tous les clients connectés sauf l'expéditeur "
            "(une boucle sur la liste des clients).",
        )


@verification("S05", "Plusieurs clients simultanés", points=2, requires=NEEDS_START, todo=2)
def test_simultanes(room: ChatRoom) -> None:
    room.connect_silent()
    alice, bob = _join_all(room, ["Alice", "Bob"])
    blocked = "Un client connecté mais silencieux bloque le serveur : Alice et Bob ne peuvent pas discuter."
    _say(room, alice, "Il y a quelqu'un d'autre ?", [bob], summary=blocked, hint=THREAD_HINT)
    _say(room, bob, "Oui, mais il ne dit rien.", [alice], summary=blocked, hint=THREAD_HINT)
    members = _join_all(room, [f"Membre{i:02d}" for i in range(10)])
    everyone = [alice, bob, *members]
    marks = {client.name: client.mark() for client in everyone}
    try:
        for index in range(3):
            for sender in members:
                _say(room, sender, _numbered(sender.name, index), _others(everyone, sender))
    except CheckFailure:
        _check_framing(members, marks)
        raise
    _check_deliveries(members, marks, 3)


@verification("S06", "UTF-8", points=1, requires=NEEDS_START, todo=3)
def test_utf8(room: ChatRoom) -> None:
    clients = _join_all(room, ["Alice", "Éloïse", "Zoé 🎉", "ひろし"])
    alice, *speakers = clients
    # An ASCII message shows whether this server puts the sender's name in its relays (S03 judges how):
    # S06 judges the characters only, whatever the layout or what a line is glued to.
    shows_names = all(alice.name in line for line in _say(room, alice, "Salut tout le monde", speakers).values())
    messages = ["Ça va, Zoé ? Déjà l'été, garçon ! 🎉", "こんにちは 🌸 très bien, merci", "漢字とかな « œuf » €"]
    for sender, message in zip(speakers, messages, strict=True):
        recipients = [client for client in speakers if client is not sender]
        received = _say(
            room,
            sender,
            message,
            recipients,
            hint=UTF8_HINT,
            summary="Un message avec accents, emoji ou idéogrammes n'est pas arrivé intact (UTF-8).",
        )
        for line in received.values():
            if shows_names and sender.name not in line:
                fail(
                    f"Le nom « {sender.name} » n'est pas arrivé intact.",
                    sent=_sent(sender.name, message),
                    expected=f"{sender.name} : {message}",
                    received=f"« {line} »",
                    hint=UTF8_HINT,
                )


@verification("S07", "Départ propre", points=1, requires=NEEDS_START, todo=4)
def test_depart_propre(room: ChatRoom) -> None:
    alice, bob, charlie = _join_all(room, ["Alice", "Bob", "Charlie"])
    mark = room.console.mark()
    bob.close()
    patience = timing.EXIT if room.join_evidence else timing.JOIN_FALLBACK  # no join shown: no departure either
    left = "Après le départ de Bob"
    spin = SpinWatch(room.server.process)  # a loop spinning on b"" is what it did: no need to wait more
    try:
        _expect_announce(
            room,
            mark,
            "Bob",
            "quitt",
            patience,
            sent="Bob ferme sa connexion",
            expected="Bob a quitté le chat.",
            hint='Quand la lecture renvoie b"" (ou ""), le client a fermé la connexion : sortez de '
            "sa boucle, retirez-le de la liste, fermez sa connexion et affichez « Bob a quitté le "
            "chat. ».",
            stop=spin,
        )
    except CheckFailure:  # what the server did first: it crashed, or it spins
        _require_healthy(room, "au départ de Bob")
        _require_waiting(room, left, "« Bob a quitté le chat. », puis le serveur attend sans rien faire", spin)
        raise
    # A first send to Bob's dead socket usually succeeds: only the second one fails.
    after_leave = f"{left}, les messages d'Alice n'arrivent plus à Charlie."
    _say(room, alice, "Bob est parti ?", [charlie], summary=after_leave, hint=BROADCAST_HINT)
    _say(room, alice, "Oui, on continue sans lui.", [charlie], summary=after_leave, hint=BROADCAST_HINT)
    david = room.join("David")
    newcomer = "Après le départ de Bob, un nouveau venu (David) ne peut pas discuter normalement."
    _say(room, david, "Bonjour, je remplace Bob.", [alice, charlie], summary=newcomer, hint=BROADCAST_HINT)
    _say(room, charlie, "Bienvenue David !", [alice, david], summary=newcomer, hint=BROADCAST_HINT)
    _require_waiting(room, left, "le serveur attend sans rien faire entre deux messages")


@verification("S08", "Départ brutal", points=1, requires=NEEDS_START, todo=4)
def test_depart_brutal(room: ChatRoom, scope: CheckScope) -> None:
    alice, bob, charlie, eve, frank = _join_all(room, ["Alice", "Bob", "Charlie", "Eve", "Frank"], narrow="Eve")
    # A server that loses lines while nobody leaves cannot be judged here by a line lost while clients
    # leave, which one it loses depending on its threads' order: that fault is S05's and S11's.
    lossy = _loses_lines_anyway(room, alice, [bob, charlie, eve, frank])
    if lossy:
        scope.remark(LOSSY_REMARK)
    try:
        _clients_vanish(room, scope, alice, bob, charlie, eve, frank)
    except CheckFailure:
        if not (lossy and _only_lines_lost(room, alice)):
            raise
    else:
        _cut_before_accepted(room, alice, charlie, lossy)  # Linux only (without /proc, it does nothing)


def _loses_lines_anyway(room: ChatRoom, sender: ScriptedClient, listeners: list[ScriptedClient]) -> bool:
    """Before anyone leaves, `sender` says CONTROL_LINES lines at once: whether a listener got some of them
    and missed others (a server that stopped relaying misses them all: that is no loss of this kind)."""
    lines = [_numbered(sender.name, n) for n in range(CONTROL_LINES)]
    marks = {listener: listener.mark() for listener in listeners}
    for line in lines:
        sender.send_line(line)

    def got(listener: ScriptedClient) -> int:
        return sum(causes.arrived(listener, line, marks[listener]) for line in lines)

    # One deadline for all of them: where no rest is seen, a listener that misses the last line costs one.
    room.wait_until(
        lambda: all(causes.arrived(listener, lines[-1], marks[listener]) for listener in listeners),
        room.track_record.relay_timeout(),
        listeners,
    )
    return any(0 < got(listener) < len(lines) for listener in listeners)


def _only_lines_lost(room: ChatRoom, alice: ScriptedClient) -> bool:
    """The server runs, printed no traceback, and Alice is still connected: what failed is a lost line."""
    return _serves_alice(room, alice) and not causes.traceback_seen(room.server.process)


def _serves_alice(room: ChatRoom, alice: ScriptedClient) -> bool:
    """The server runs, and Alice is still connected."""
    return room.server.process.poll() is None and not alice.closed


def _clients_vanish(
    room: ChatRoom,
    scope: CheckScope,
    alice: ScriptedClient,
    bob: ScriptedClient,
    charlie: ScriptedClient,
    eve: ScriptedClient,
    frank: ScriptedClient,
) -> None:
    """Bob cuts his connection, then Frank and Eve while the server is held writing to Eve, then passers-by
    while Alice speaks: Charlie still gets what Alice says, and Alice is still served."""
    stderr = room.server.process.stderr
    marks: dict[LineSource, int] = {room.console: room.console.mark(), stderr: stderr.mark()}
    bob.reset()
    # Evidence that the server saw the reset: its departure line, or a traceback (S07 judges the line).
    room.first_match_or_rest(
        marks,
        lambda line: "Bob" in line or any(m in line for m in TRACEBACK_MARKERS),
        timing.EXIT if room.join_evidence else timing.JOIN_FALLBACK,
        stop=SpinWatch(room.server.process),  # a loop spinning on b"": it saw the reset (S07 charges the spin)
    )
    cut = "Après la coupure brutale d'un client, les autres ne sont plus servis."
    _say(room, alice, "Bob a disparu d'un coup !", [charlie, eve], summary=cut, hint=RESET_HINT)
    # Frank, then Eve, vanish while the server is held writing to Eve: the list of clients changes under
    # the walk in progress, and the send in progress fails, whatever the order of the server's threads.
    # Then clients vanish while Alice's next message is on its way to them: a send to one of them fails, or
    # not, as the threads are scheduled; tried again, and told as unstable when seen. They all join now: a
    # join after a departure would meet S07's faults (a loop spinning on b"").
    passers_by = _join_all(room, [f"Passant{n:02d}" for n in range((VANISH_TRIES - 1) * VANISHING)])
    tries = [[frank, eve]] + [passers_by[n : n + VANISHING] for n in range(0, len(passers_by), VANISHING)]
    for attempt, vanishing in enumerate(tries, start=1):
        try:
            if attempt == 1:
                _vanish_while_held(room, alice, charlie, eve, frank)
            else:
                _speak_while_vanishing(room, alice, charlie, vanishing)
        except CheckFailure as failure:
            if attempt == 1:
                raise
            raise CheckFailure(
                f"Comportement instable (vu au {attempt}e essai sur {VANISH_TRIES}) : {failure.summary}",
                sent=failure.sent,
                expected=failure.expected,
                received=failure.received,
                hint=failure.hint,
            ) from failure
    _say(room, charlie, "Oui, on continue.", [alice], summary=cut, hint=RESET_HINT)
    _ends_healthy(room, scope, "après la coupure brutale de plusieurs clients", RESET_HINT)


def _cut_before_accepted(room: ChatRoom, alice: ScriptedClient, charlie: ScriptedClient, lossy: bool) -> None:
    """Linux: a client connects and cuts its connection before the server accepts it (the server is paused
    meanwhile), so a welcome sent from the accept loop fails there, every run. The server goes on: Gaston
    joins and talks. (A traceback of the thread of a client that left before its name harms no one else:
    only a server that stops serving fails here, by its crash first. A server that loses lines anyway,
    `lossy`, and still relays Gaston's line to one of them, lost the other copy: not counted here.)"""
    if not room.cut_before_accepted():
        return
    situation = "quand un client coupe sa connexion aussitôt connecté, avant même d'être accepté"
    greeting = "Bonjour, je suis nouveau."
    marks = {alice: alice.mark(), charlie: charlie.mark()}
    try:
        gaston = room.join("Gaston")
        summary = f"{situation[0].upper()}{situation[1:]}, le serveur ne sert plus les suivants."
        _say(room, gaston, greeting, [alice, charlie], summary=summary, hint=RESET_HINT)
    except CheckFailure:
        relayed = any(causes.arrived(client, greeting, mark) for client, mark in marks.items())
        if lossy and relayed and _serves_alice(room, alice):
            return
        _require_healthy(room, situation, RESET_HINT)
        raise


def _vanish_while_held(
    room: ChatRoom, alice: ScriptedClient, charlie: ScriptedClient, eve: ScriptedClient, frank: ScriptedClient
) -> None:
    """Eve reads nothing more while Alice talks, until the server is held writing to her; then Frank cuts
    his connection, and once the server has dealt with it, Eve cuts hers. A list of clients walked while
    Frank is taken out of it (no lock, no copy) fails here whatever the order of the server's threads: the
    walk is held at Eve until Frank is out. Charlie gets what Alice said, and Alice is still served."""
    eve.arm_reset()
    frank.arm_reset()
    all_there = _hold_the_server(room, alice, charlie, eve)
    console = room.console.mark()
    frank.reset()

    # Frank is out (the console says so), or the server took in his reset and waits again (a lock held
    # during the send keeps his thread waiting). A server whose threads spin once Bob left never waits
    # again: after the reset is taken in, HOLD_FALLBACK at most.
    frank_out = _shown_on_console(room, "Frank", console)
    room.wait_until(lambda: frank_out() or room.saw_reset(frank), room.hold_patience(), [])
    dealt_with = SeenTwice(lambda: room.holds_for(eve), every=timing.ALIVE_PROBE)
    room.wait_until(lambda: frank_out() or dealt_with(), timing.HOLD_FALLBACK, [])
    eve.reset()
    # Everything Alice said reaches Charlie before she speaks again, so that her next line comes alone.
    _wait_while_progressing(room, all_there, charlie)
    sent = (
        f"Eve ne lit plus rien ; Alice envoie {FILL_LINES} longues lignes ; pendant que le serveur écrit à Eve, "
        "Frank coupe sa connexion, puis Eve la sienne"
    )
    _still_served(room, alice, charlie, [frank, eve], sent)


def _hold_the_server(
    room: ChatRoom, alice: ScriptedClient, charlie: ScriptedClient, eve: ScriptedClient
) -> Callable[[], bool]:
    """Alice sends FILL_LINES long lines while Eve (narrow) reads nothing; returns once the server is held
    writing to Eve (Linux: seen), or Charlie has them all (a server that keeps what it cannot send), or
    after room.hold_patience(). Returns how to tell that Charlie has them all."""
    before = charlie.received_bytes
    lines = [f"{n:02d} " + "bla " * (FILL_LENGTH // 4) for n in range(FILL_LINES)]
    for line in lines:
        alice.send_line(line)
    total = sum(len(line) + 1 for line in lines)

    def all_there() -> bool:
        return charlie.received_bytes - before >= total

    held = SeenTwice(lambda: room.holds_for(eve), every=timing.ALIVE_PROBE)
    room.wait_until(lambda: all_there() or held(), room.hold_patience(), [charlie])
    return all_there


def _shown_on_console(room: ChatRoom, name: str, since: int) -> Callable[[], bool]:
    """Whether the server's console has shown a line with `name` since the mark `since`."""
    return lambda: any(name in line for line in room.console.lines(since))


def _wait_while_progressing(room: ChatRoom, done: Callable[[], bool], client: ScriptedClient) -> None:
    """Wait until `done`, for as long as bytes keep reaching `client`: a relay's deadline from the last
    byte, not from the first. A correct server that paces its sends (a sleep after each one) takes
    longer than one deadline to deliver FILL_LINES lines, all the more on a loaded machine; one that
    stops delivering is waited for one deadline only. Bounded by FILL_DEADLINE_S in all."""
    deadline = time.monotonic() + FILL_DEADLINE_S
    while not done() and time.monotonic() < deadline:
        before = client.received_bytes
        patience = min(room.track_record.relay_timeout(), deadline - time.monotonic())
        if not room.wait_until(lambda: done() or client.received_bytes != before, patience, [client]):
            return


def _speak_while_vanishing(
    room: ChatRoom, alice: ScriptedClient, charlie: ScriptedClient, vanishing: list[ScriptedClient]
) -> None:
    """Alice speaks and, at that moment, every `vanishing` client cuts its connection: Charlie still gets
    her message, and Alice is still served."""
    for client in vanishing:
        client.arm_reset()
    mark = charlie.mark()
    question = "Vous m'entendez encore ?"
    alice.send_line(question)
    for client in vanishing:
        client.reset()
    who = " et ".join(client.name for client in vanishing)
    sent = f"Alice envoie « {question} » et {who} coupe{'nt' if len(vanishing) > 1 else ''} sa connexion au même moment"
    patience = room.track_record.relay_timeout()
    if room.wait_line_or_rest(charlie, lambda line: question in line, patience, since=mark) is None:
        charlie.fail_expected(
            patience, since=mark, hint=RESET_HINT, sent=sent, expected="Charlie reçoit quand même le message d'Alice"
        )
    _still_served(room, alice, charlie, vanishing, sent)


def _still_served(
    room: ChatRoom, alice: ScriptedClient, charlie: ScriptedClient, vanished: list[ScriptedClient], sent: str
) -> None:
    """After clients vanished while Alice talked (`sent` says how), Alice is still served. When she is not,
    the first cause: a traceback of the server (the hint of its exception), or her connection closed by a
    failed send to them that stopped her thread."""
    who = " et ".join(client.name for client in vanished)
    try:
        _say(
            room,
            alice,
            "Ils sont partis, on continue.",
            [charlie],
            summary="Après la coupure brutale de clients, Alice n'est plus servie.",
            hint=RESET_HINT,
        )
    except CheckFailure:
        cut = "coupent leur" if len(vanished) > 1 else "coupe sa"
        _require_healthy(room, f"quand {who} {cut} connexion pendant qu'Alice parle", RESET_HINT)
        if alice.closed and room.server.process.poll() is None:
            fail(
                f"Le serveur a fermé la connexion d'Alice : un envoi raté vers {who}, parti au même moment, a "
                "arrêté le thread de celle qui parlait.",
                sent=sent,
                expected="Alice reste connectée",
                received=alice.describe_received(),
                hint=RESET_HINT,
            )
        raise


@verification("S09", "Journal du serveur", points=1, requires=NEEDS_START, todo=3)
def test_journal(room: ChatRoom, scope: CheckScope) -> None:
    waiting = "Serveur en attente de connexions..."
    if (
        room.wait_line_or_rest(room.console, lambda line: "en attente de connexion" in line.lower(), timing.JOIN)
        is None
    ):
        fail(
            "La console du serveur n'affiche pas qu'il attend des connexions.",
            expected=waiting,
            received=_quoted(room.console.lines()[-3:]),
            hint=f'Au démarrage, affichez print("{waiting}").',
        )
    alice, bob = _join_all(room, ["Alice", "Bob"])
    mark = room.console.mark()
    exchanges = [(alice, "Bonjour !"), (bob, "Salut Alice !"), (alice, "Tout va bien ?")]
    for sender, message in exchanges:
        _say(room, sender, message, _others([alice, bob], sender))
    _wait_all_logged(room, [message for _, message in exchanges], since=mark)
    console = room.console.lines(mark)
    for sender, message in exchanges:
        expected = f"une ligne « {sender.name} : {message} »"
        logged = [line for line in console if matching.is_relay(line, sender.name, message)]
        if not any(matching.contains_message(line, message) for line in console):
            fail(
                "La console du serveur n'affiche pas les messages reçus.",
                sent=_sent(sender.name, message),
                expected=expected,
                received=_quoted(console[-4:]),
                hint='Affichez chaque message reçu avec print(f"{nom} : {message}").',
            )
        if not logged:
            summary, hint = matching.diagnose_relay(console, sender.name, message)
            fail(
                f"Sur la console du serveur : {summary}",
                sent=_sent(sender.name, message),
                expected=expected,
                received=_quoted(console[-4:]),
                hint=hint,
            )
        if len(logged) > 1:
            fail(
                f"La console du serveur affiche {len(logged)} fois « {sender.name} : {message} » au lieu d'une.",
                sent=_sent(sender.name, message),
                expected=expected,
                received=_quoted(logged),
                hint="Affichez chaque message une seule fois, quand vous le recevez (pas dans la boucle de diffusion).",
            )
        _remark_separator(scope, logged[0], sender.name)


def _wait_all_logged(room: ChatRoom, messages: list[str], *, since: int) -> None:
    """Wait, within one timing.RELAY, until the console shows each message: a correct server may print a
    message after the next one (the thread that relays first and prints after can be overtaken)."""
    deadline = time.monotonic() + timing.RELAY
    for message in messages:
        room.wait_line_or_rest(
            room.console, functools.partial(_logs, message), max(0.0, deadline - time.monotonic()), since=since
        )


def _logs(message: str, line: str) -> bool:
    return matching.contains_message(line, message)


@verification("S10", "Flux TCP (avancé)", points=0.5, requires=NEEDS_START, todo=3)
def test_flux_tcp(room: ChatRoom, scope: CheckScope) -> None:
    alice, bob = _join_all(room, ["Alice", "Bob"])
    # Each send_raw below is one TCP segment (the harness turns Nagle's algorithm off).
    zoe = scope.track(ScriptedClient.connect(room.server.host, room.server.port, "Zoé", send_name=False))

    mark = alice.mark()
    block = "Zoé\nPremier message\n".encode("utf-8")
    zoe.send_raw(block)
    _expect_segment(
        room,
        zoe,
        alice,
        mark,
        ["Premier message"],
        "Le nom et le premier message, envoyés dans un même segment TCP, ne donnent pas exactement un message relayé.",
        sent=f"Zoé se connecte et envoie d'un seul bloc {block!r}",
    )

    mark = alice.mark()
    block = b"ligne une\nligne deux\n"
    zoe.send_raw(block)
    _expect_segment(
        room,
        zoe,
        alice,
        mark,
        ["ligne une", "ligne deux"],
        "Deux messages envoyés dans un même segment TCP ne donnent pas deux messages relayés.",
        sent=f"Zoé envoie d'un seul bloc {block!r}",
    )

    mark = alice.mark()
    line = "café ☕\n".encode("utf-8")
    cut = line.index("é".encode("utf-8")) + 1
    first, second = line[:cut], line[cut:]
    zoe.send_raw(first)
    # Not a sleep: a round trip through the server on other connections shows its loops have run meanwhile.
    _say(room, bob, "pendant ce temps", [alice])
    zoe.send_raw(second)
    _expect_segment(
        room,
        zoe,
        alice,
        mark,
        ["café ☕"],
        "Un caractère UTF-8 coupé entre deux segments TCP ne donne pas le bon message.",
        sent=f"Zoé envoie {first!r}, puis plus tard {second!r} (le « é » est coupé en deux)",
    )


def _burst(room: ChatRoom, scope: CheckScope, members: list[ScriptedClient], count: int) -> None:
    """Every member sends `count` numbered messages, two per send, without waiting; meanwhile passers-by
    arrive (two per round) while the registry is being read. None leaves: a departure during the burst
    makes a send to it fail, or not, as the server's threads are scheduled, and departures are S07's and
    S08's to judge, the same on every run."""
    for index in range(0, count, 2):
        for member in members:
            member.send_raw(f"{_numbered(member.name, index)}\n{_numbered(member.name, index + 1)}\n".encode())
        for n in range(2):
            scope.track(ScriptedClient.connect(room.server.host, room.server.port, f"Passant{index + n}"))


@verification("S11", "Charge (avancé)", points=0.5, requires=NEEDS_START, todo=2)
def test_charge(room: ChatRoom, scope: CheckScope) -> None:
    count = 10
    names = [f"Membre{i:02d}" for i in range(30)]
    members = _join_all(room, names[:2])
    _say(room, members[0], "on commence", members[1:])  # a server that relays nothing fails here, not 28 joins later
    members += _join_all(room, names[2:])
    _say(room, members[0], "tout le monde m'entend ?", members[1:])  # paced: every member is registered
    marks = {member.name: member.mark() for member in members}
    started = time.monotonic()
    try:
        _burst(room, scope, members, count)
    except CheckFailure as failure:  # a member could not send: the server cut its connection
        _require_healthy(room, LOAD, LOCK_HINT)
        raise CheckFailure(f"{LOAD.capitalize()} : {failure.summary}", sent=failure.sent, hint=LOCK_HINT) from failure
    delivered = _wait_deliveries(room, members, marks, count, started + LOAD_DEADLINE_S)
    _require_healthy(room, LOAD, LOCK_HINT)
    _require_waiting(room, "Après la charge", "le serveur attend sans rien faire")
    cut = [member for member in members if member.closed]
    if cut:
        fail(
            f"{LOAD.capitalize()}, le serveur a fermé la connexion du client {cut[0].name}.",
            expected="chaque client reste connecté et reçoit tous les messages",
            received=cut[0].describe_received(marks[cut[0].name]),
            hint=LOCK_HINT,
        )
    _check_deliveries(members, marks, count)
    if not delivered:
        fail(
            f"Les messages ne sont pas tous arrivés en {seconds(LOAD_DEADLINE_S)} s.",
            sent=f"30 clients envoient {count} messages chacun, sans attendre",
            hint="Le serveur est trop lent sous la charge : pas de sleep, pas de verrou gardé pendant un envoi.",
        )
    _arrival_while_held(room, scope, members[0], members[1])


def _arrival_while_held(room: ChatRoom, scope: CheckScope, alice: ScriptedClient, charlie: ScriptedClient) -> None:
    """Eve reads nothing while Alice talks, until the server is held writing to her; Frank arrives then,
    and Eve reads again. A list of clients walked while Frank is added to it (no lock, no copy) fails here
    whatever the order of the server's threads: the walk is held at Eve until Frank is in."""
    eve = room.join("Eve", narrow=True)
    eve.pause()
    all_there = _hold_the_server(room, alice, charlie, eve)
    console = room.console.mark()
    scope.track(ScriptedClient.connect(room.server.host, room.server.port, "Frank"))
    held = SeenTwice(lambda: room.holds_for(eve), every=timing.ALIVE_PROBE)
    # Frank is in (the console says so), or his thread waits too (a lock held during the send).
    frank_in = _shown_on_console(room, "Frank", console)
    room.wait_until(lambda: frank_in() or held(), room.hold_patience(), [])
    eve.resume()
    _wait_while_progressing(room, all_there, charlie)
    situation = "quand Frank arrive pendant que le serveur écrit à Eve, qui ne lit plus"
    _require_healthy(room, situation, LOCK_HINT)
    # Charlie only: whether Frank is in the list yet when Alice speaks depends on who takes the lock first.
    _say(
        room,
        alice,
        "Frank nous a rejoints pendant ce temps.",
        [charlie],
        summary=f"Q{situation[1:]} :",
        hint=LOCK_HINT,
    )
