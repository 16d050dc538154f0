"""Client de chat — solution de référence.

Lancement : python client_exo.py   (ou : python client_exo.py --port 6000)

Deux choses doivent se faire en même temps : attendre ce que l'utilisateur tape, et afficher
ce qui arrive du serveur. input() bloque le programme jusqu'à la touche Entrée : la réception
se fait donc dans un second thread.
- le thread principal lit le clavier et envoie chaque ligne au serveur ;
- le thread de réception affiche chaque ligne reçue dès qu'elle arrive.
"""

import os
import socket
import sys
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

INVITE = "Votre message : "
COMMANDES_DE_SORTIE = ("exit", "/quitter", "/exit")

# Mis à True quand l'utilisateur part de lui-même : le thread de réception voit alors la
# connexion se fermer, mais ne doit pas annoncer que le serveur est parti.
depart_volontaire = threading.Event()


def afficher_message(ligne):
    """Affiche une ligne reçue sans casser la saisie en cours.

    L'invite « Votre message : » est peut-être affichée, en attente de frappe. On passe à la
    ligne, on affiche le message sur sa propre ligne, puis on réaffiche l'invite. Ce que
    l'utilisateur avait commencé à taper n'est pas perdu : input() le garde et l'enverra.
    Un seul print() pour le tout : il ne se mélange pas avec un autre affichage.
    """
    print(f"\n{ligne}\n{INVITE}", end="", flush=True)


def recevoir(connexion):
    """Thread de réception : affiche chaque ligne envoyée par le serveur, dès qu'elle arrive."""
    try:
        # makefile() présente la connexion comme un fichier texte : Python se charge de découper
        # les lignes (TCP peut livrer deux lignes d'un coup, ou une demi-ligne) et de décoder
        # l'UTF-8, même si un caractère accentué arrive en deux morceaux.
        # errors="replace" : un octet invalide s'affiche « � » au lieu de tout arrêter.
        with connexion.makefile("r", encoding="utf-8", errors="replace") as flux:
            for ligne in flux:
                afficher_message(ligne.rstrip("\r\n"))
    except OSError:
        pass  # connexion coupée brutalement : même chose qu'une fermeture
    if depart_volontaire.is_set():
        return  # c'est nous qui avons fermé : le thread principal termine le programme
    # Un seul morceau de texte (end="") : l'invite affichée par l'autre thread ne peut pas s'y intercaler.
    print("\nLe serveur a fermé la connexion. Au revoir !\n", end="", flush=True)
    # Le thread principal est bloqué dans input() et aucun autre thread ne peut l'en sortir.
    # os._exit() termine tout le programme immédiatement (sans traceback, code 0). Il ne vide
    # pas les tampons d'affichage : c'est pourquoi le print() ci-dessus utilise flush=True.
    os._exit(0)


def se_connecter(hote, port):
    """Ouvre la connexion au serveur, ou arrête le programme avec un message clair."""
    try:
        return socket.create_connection((hote, port))
    except OSError as erreur:
        print(f"Impossible de se connecter au serveur {hote}:{port} ({erreur.strerror or erreur}).", file=sys.stderr)
        print("Vérifiez que le serveur est lancé, sur la même adresse et le même port.", file=sys.stderr)
        sys.exit(1)


def envoyer(connexion, texte):
    """Envoie une ligne au serveur : texte encodé en UTF-8, terminé par "\\n" (fin de message)."""
    connexion.sendall((texte + "\n").encode("utf-8"))


def demander_nom():
    """Demande un nom non vide. Renvoie None si l'entrée standard est terminée (ou Ctrl-C)."""
    try:
        nom = ""
        while not nom:
            nom = input("Entrez votre nom : ").strip()
        return nom
    except (EOFError, KeyboardInterrupt):
        return None


def boucle_clavier(connexion):
    """Lit le clavier et envoie chaque ligne, jusqu'à exit ou la fin de l'entrée standard."""
    while True:
        try:
            message = input(INVITE)
        except (EOFError, KeyboardInterrupt):  # Ctrl-D (fin de l'entrée) ou Ctrl-C : on part
            return
        if message.strip() in COMMANDES_DE_SORTIE:
            return
        if message.strip():
            envoyer(connexion, message)


AIDE = f"""Utilisation : python client_exo.py [--hote ADRESSE] [--port NUMÉRO]

Lance le client de chat et le connecte au serveur.
  --hote ADRESSE   adresse du serveur (défaut : {HOTE})
  --port NUMÉRO    port du serveur (défaut : {PORT})
  --aide           affiche cette aide
Les valeurs par défaut viennent des variables d'environnement CHAT_HOTE et CHAT_PORT, si elles existent."""


def lire_arguments():
    """Lit les options --hote et --port, pour qui lance le client à la main. Renvoie (hote, port).

    Le module argparse ferait ce travail, mais il écrit son aide et ses erreurs en anglais.
    Chaque option est suivie de sa valeur, par exemple : python client_exo.py --port 6000
    """
    hote, port = HOTE, str(PORT)
    arguments = sys.argv[1:]  # sys.argv[0] est le nom du programme
    while arguments:
        option = arguments.pop(0)
        if option in ("-h", "--aide", "--help"):
            print(AIDE)
            sys.exit(0)
        elif option == "--hote" and arguments:
            hote = arguments.pop(0)
        elif option == "--port" and arguments:
            port = arguments.pop(0)
        else:
            sys.exit(f"Erreur : option inconnue, ou sans valeur : {option}.\nPour l'aide : python client_exo.py --aide")
    if not port.isdigit() or int(port) > 65535:
        sys.exit(f"Erreur : le port doit être un nombre entier de 0 à 65535, pas « {port} ».")
    return hote, int(port)


def main():
    hote, port = lire_arguments()
    nom = demander_nom()
    if nom is None:
        return
    connexion = se_connecter(hote, port)
    envoyer(connexion, nom)  # la première ligne envoyée est le nom
    # daemon=True : ce thread ne doit pas empêcher le programme de se terminer.
    recepteur = threading.Thread(target=recevoir, args=(connexion,), daemon=True)
    recepteur.start()
    try:
        boucle_clavier(connexion)
        au_revoir = "Déconnecté. Au revoir !"
    except OSError:  # l'envoi a échoué : le serveur est parti
        au_revoir = "La connexion avec le serveur est perdue."
    depart_volontaire.set()
    # shutdown() réveille le thread de réception, bloqué en attente du serveur : il voit la
    # connexion se fermer et se termine. On l'attend avant de quitter.
    try:
        connexion.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    recepteur.join(timeout=2)
    connexion.close()
    print(f"\n{au_revoir}")


if __name__ == "__main__":
    main()
