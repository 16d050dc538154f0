"""valide : un thread par client, recv() avec un délai (settimeout) et un drapeau d'arrêt, accept() avec un délai comme le fichier de départ."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}
verrou = threading.Lock()
en_marche = threading.Event()


def diffuser(message, expediteur):
    with verrou:
        autres = [c for c in clients if c is not expediteur]
    for autre in autres:
        try:
            autre.sendall((message + "\n").encode("utf-8"))
        except OSError:
            pass


def lignes(connexion):
    """Les lignes reçues, une par une ; recv() se réveille toutes les 0,2 s pour regarder le drapeau."""
    connexion.settimeout(0.2)
    reste = b""
    while en_marche.is_set():
        try:
            donnees = connexion.recv(1024)
        except socket.timeout:
            continue
        except OSError:
            return
        if not donnees:
            return
        reste += donnees
        while b"\n" in reste:
            ligne, reste = reste.split(b"\n", 1)
            yield ligne.decode("utf-8", errors="replace").strip()


def gerer_client(connexion, adresse):
    recues = lignes(connexion)
    nom = next(recues, "")
    if nom:
        with verrou:
            clients[connexion] = nom
        print(f"{nom} ({adresse[0]}) a rejoint le chat.")
        for message in recues:
            if message:
                print(f"{nom} : {message}")
                diffuser(f"{nom} : {message}", connexion)
        with verrou:
            del clients[connexion]
        print(f"{nom} a quitté le chat.")
    connexion.close()


def main():
    serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind((HOTE, PORT))
    serveur.listen()
    serveur.settimeout(1.0)
    en_marche.set()
    print("Serveur en attente de connexions...")
    try:
        while True:
            try:
                connexion, adresse = serveur.accept()
            except socket.timeout:
                continue
            threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()
    except KeyboardInterrupt:
        en_marche.clear()
        serveur.close()


if __name__ == "__main__":
    main()
