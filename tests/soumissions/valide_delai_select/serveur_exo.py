"""valide : un seul thread, select() avec un délai de 0,5 s (la boucle se réveille même sans client)."""
import os
import select
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

noms = {}  # connexion -> nom (None tant que le nom n'est pas arrivé)
restes = {}  # connexion -> octets reçus sans fin de ligne
adresses = {}  # connexion -> adresse IP du client


def diffuser(message, expediteur):
    for connexion, nom in list(noms.items()):
        if connexion is not expediteur and nom is not None:
            try:
                connexion.sendall((message + "\n").encode("utf-8"))
            except OSError:
                pass


def depart(connexion):
    nom = noms.pop(connexion)
    restes.pop(connexion)
    adresses.pop(connexion)
    connexion.close()
    if nom is not None:
        print(f"{nom} a quitté le chat.")


def recevoir(connexion):
    try:
        donnees = connexion.recv(1024)
    except OSError:
        donnees = b""
    if not donnees:
        depart(connexion)
        return
    restes[connexion] += donnees
    while b"\n" in restes[connexion]:
        ligne, restes[connexion] = restes[connexion].split(b"\n", 1)
        texte = ligne.decode("utf-8", errors="replace").strip()
        if noms[connexion] is None:
            noms[connexion] = texte
            print(f"{texte} ({adresses[connexion]}) a rejoint le chat.")
        elif texte:
            print(f"{noms[connexion]} : {texte}")
            diffuser(f"{noms[connexion]} : {texte}", connexion)


def main():
    serveur = socket.create_server((HOTE, PORT))
    print("Serveur en attente de connexions...")
    while True:
        prets, _, _ = select.select([serveur, *noms], [], [], 0.5)
        for pret in prets:
            if pret is serveur:
                connexion, adresse = serveur.accept()
                noms[connexion] = None
                adresses[connexion] = adresse[0]
                restes[connexion] = b""
            elif pret in noms:
                recevoir(pret)


if __name__ == "__main__":
    main()
