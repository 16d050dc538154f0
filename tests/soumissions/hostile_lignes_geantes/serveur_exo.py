"""Bug : à chaque arrivée, le serveur envoie au client et affiche une ligne de 10 Mo (le chat marche ensuite)."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
BIENVENUE = "bienvenue " * (1024 * 1024)  # 10 Mo sur une seule ligne
membres = {}
verrou = threading.Lock()


def accueillir(sock, adresse):
    sock.sendall((BIENVENUE + "\n").encode("utf-8"))
    fichier = sock.makefile("r", encoding="utf-8", newline="\n")
    pseudo = fichier.readline().strip()
    print(BIENVENUE, flush=True)
    with verrou:
        membres[sock] = pseudo
    print(f"{pseudo} ({adresse[0]}) a rejoint le chat.", flush=True)
    while True:
        ligne = fichier.readline()
        if not ligne:
            break
        relais = f"{pseudo} : {ligne.strip()}"
        print(relais, flush=True)
        with verrou:
            destinataires = [s for s in membres if s is not sock]
        for s in destinataires:
            s.sendall((relais + "\n").encode("utf-8"))
    with verrou:
        del membres[sock]


ecoute = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...", flush=True)
while True:
    threading.Thread(target=accueillir, args=ecoute.accept(), daemon=True).start()
