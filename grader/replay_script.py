"""Rejoue, étape par étape, l'échange d'une vérification du correcteur avec VOTRE serveur.

Lancez d'abord votre serveur dans un autre terminal (python serveur_exo.py), puis ce fichier :

    python rejouer_XXX.py                 (Entrée entre deux étapes)
    python rejouer_XXX.py --sans-pause    (tout d'un coup)
    python rejouer_XXX.py --port 6000     (un autre port que 55555, ou la variable CHAT_PORT)

Chaque étape dit ce que fait le client du correcteur, puis ce que chaque client reçoit. À la fin, la
ligne qui manquait lors de la correction est attendue : « ✓ » si elle arrive, « ✗ » sinon. Regardez en
même temps ce qu'affiche votre serveur, ou suivez-le pas à pas dans un débogueur.

Ce fichier a été écrit par le correcteur (python -m grader ... --rejouer XXX) ; il n'utilise que la
bibliothèque standard de Python.
"""

import os
import socket
import struct
import sys
import threading
import time

CHECK = "XXX"
STEPS: list[tuple[str, str, str]] = []  # (client, action, text): "envoie", "ferme", "coupe", "recevait", "attendu"
WAIT_S = 3.0  # how long a line the grader received (or expected) is waited for
QUIET_S = 1.0  # after each action, what it causes is shown before the next step: until this long without a line


class Client:
    """One client of the grader's scenario: a connection, and a thread that prints what arrives."""

    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        self.lines: list[str] = []
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            buffer += data
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode("utf-8", errors="replace").rstrip("\r")
                print(f"    {self.name} reçoit : {line}", flush=True)
                with self.arrived:
                    self.lines.append(line)
                    self.arrived.notify_all()
        print(f"    (la connexion de {self.name} est fermée)", flush=True)

    def wait_for(self, text: str, since: int) -> bool:
        """True once a line holding `text` arrived after line number `since`, within WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        with self.arrived:
            while not any(text in line for line in self.lines[since:]):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    def count(self) -> int:
        with self.arrived:
            return len(self.lines)

    def send(self, text: str) -> None:
        self.sock.sendall((text + "\n").encode("utf-8"))

    def close(self, abrupt: bool) -> None:
        if abrupt:  # SO_LINGER 0: the server gets a reset instead of an end of stream
            self.sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("HH" if os.name == "nt" else "ii", 1, 0)
            )
        self.sock.close()


def settle(clients: dict[str, Client]) -> None:
    """Until QUIET_S passes without a line at any client (at most WAIT_S): the server has done what the
    action asked (registered a name, relayed a message) before the next step, as the grader waited."""
    deadline = time.monotonic() + WAIT_S
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        total = sum(client.count() for client in clients.values())
        if total != seen:
            seen, quiet_since = total, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return
        time.sleep(0.05)  # a look at the clients' lines; nothing here is graded


def read_options(arguments: list[str]) -> tuple[str, int, bool]:
    """--hote H, --port N, --sans-pause (the defaults: CHAT_HOTE, CHAT_PORT, or 127.0.0.1:55555)."""
    values = {"--hote": os.environ.get("CHAT_HOTE", "127.0.0.1"), "--port": os.environ.get("CHAT_PORT", "55555")}
    pause = True
    arguments = list(arguments)
    while arguments:
        argument = arguments.pop(0)
        if argument == "--sans-pause":
            pause = False
        elif argument in values and arguments:
            values[argument] = arguments.pop(0)
        else:
            raise SystemExit(f"Option inconnue : {argument} (options : --hote H, --port N, --sans-pause)")
    if not values["--port"].isdigit():
        raise SystemExit(f"Port invalide : {values['--port']}")
    return values["--hote"], int(values["--port"]), pause


def main() -> int:
    host, port, pause = read_options(sys.argv[1:])
    clients = {}
    marks = {}
    verdict: bool | None = True
    print(f"Vérification {CHECK}, rejouée avec le serveur {host}:{port}.")
    for number, (name, action, text) in enumerate(STEPS, start=1):
        if action in ("envoie", "ferme", "coupe"):
            if pause:
                input(f"\nÉtape {number}/{len(STEPS)} ({name} : {action}) — Entrée pour continuer... ")
            if name not in clients:
                print(f"  {name} se connecte.")
                clients[name] = Client(name, host, port)
            client = clients[name]
            marks = {other: len(each.lines) for other, each in clients.items()}
            if action == "envoie":
                print(f"  {name} envoie : {text}", flush=True)
                client.send(text)
            else:
                print(f"  {name} : {text}", flush=True)
                client.close(abrupt=action == "coupe")
            settle(clients)
        elif not name:  # a line of the server's own console: only its terminal shows it
            verdict = None
            print(f"  attendu sur la console de votre serveur (regardez son terminal) : {text}")
        elif name in clients:
            found = clients[name].wait_for(text, marks.get(name, 0))
            if action == "attendu":
                verdict = found
                mark = "✓" if found else "✗"
                print(f"  {mark} attendu chez {name} : {text}" + ("" if found else f" (rien en {WAIT_S:g} s)"))
            elif not found:
                print(f"  (lors de la correction, {name} avait reçu : {text})")
    if verdict is None:
        print("\nRésultat : à lire sur la console de votre serveur.")
    else:
        print("\nRésultat : la ligne attendue " + ("est arrivée." if verdict else "n'est pas arrivée."))
    return 1 if verdict is False else 0


if __name__ == "__main__":
    raise SystemExit(main())
