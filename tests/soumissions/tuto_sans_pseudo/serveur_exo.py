"""Bug : (style manuel) pas de noms : chaque client est « Client-N », la première ligne est relayée comme un message."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

conn_client = {}  # nom du thread -> connexion
verrou = threading.Lock()


class ThreadClient(threading.Thread):
    """Un thread par client connecté."""

    def __init__(self, connexion):
        threading.Thread.__init__(self, daemon=True)
        self.connexion = connexion

    def run(self):
        nom = self.name
        fichier = self.connexion.makefile("r", encoding="utf-8", newline="\n")
        try:
            for ligne in fichier:
                message = f"{nom}> {ligne.strip()}"
                print(message)
                with verrou:
                    autres = [c for cle, c in conn_client.items() if cle != nom]
                for connexion in autres:
                    try:
                        connexion.sendall((message + "\n").encode("utf-8"))
                    except OSError:
                        pass
        except (OSError, UnicodeDecodeError):
            pass
        with verrou:
            del conn_client[nom]
        self.connexion.close()
        print(f"Client {nom} déconnecté.")


serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen(5)
print("Serveur en attente de connexions...")
numero = 0
while True:
    connexion, adresse = serveur.accept()
    numero += 1
    fil = ThreadClient(connexion)
    fil.name = f"Client-{numero}"
    with verrou:
        conn_client[fil.name] = connexion
    print(f"Client {fil.name} connecté, adresse IP {adresse[0]}, port {adresse[1]}.")
    connexion.sendall("Vous êtes connecté. Envoyez vos messages.\n".encode("utf-8"))
    fil.start()
