"""Bug : le serveur lance un processus fils détaché et un thread non daemon qui lui survivraient (le chat marche)."""
import os
import socket
import subprocess
import sys
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

# un « sauvegardeur » détaché dans sa propre session, qui lance lui-même un petit-fils
subprocess.Popen(
    [sys.executable, "-c", "import subprocess, sys, time; "
     "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"],
    start_new_session=True,
)
threading.Thread(target=time.sleep, args=(600,)).start()  # oubli : daemon=True

salons = {}


def client(connexion, adresse):
    with connexion, connexion.makefile("rb") as flux:
        nom = flux.readline().decode("utf-8").strip()
        salons[connexion] = nom
        print(f"{nom} ({adresse[0]}) a rejoint le chat.", flush=True)
        for brut in flux:
            texte = f"{nom} : {brut.decode('utf-8').strip()}"
            print(texte, flush=True)
            for autre in list(salons):
                if autre is not connexion:
                    autre.sendall((texte + "\n").encode("utf-8"))
        del salons[connexion]


with socket.create_server((HOTE, PORT)) as ecoute:
    print("Serveur en attente de connexions...", flush=True)
    while True:
        threading.Thread(target=client, args=ecoute.accept(), daemon=True).start()
