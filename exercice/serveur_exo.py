"""Serveur de chat — fichier de départ de l'exercice.

Ce programme fonctionne déjà : il écoute sur HOTE:PORT et accepte les connexions.
Mais il ne fait rien des clients : c'est à vous de compléter les « TODO », dans l'ordre.
L'énoncé (docs/enonce.md) et le protocole (docs/protocole.md) disent exactement quoi faire.

Lancement : python serveur_exo.py         (arrêt : Ctrl-C)
Vérification : python -m grader exercice/
"""

import os
import socket
import sys
import threading

# L'adresse et le port du serveur. Ne changez pas ces deux lignes : le correcteur choisit
# lui-même le port avec la variable d'environnement CHAT_PORT.
HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

# Les clients connectés. Plusieurs threads vont lire et modifier ce dictionnaire en même
# temps : protégez chaque accès avec le verrou (« with verrou: »).
clients = {}
verrou = threading.Lock()


def diffuser(message, expediteur):
    """Envoie `message` (une ligne de texte) à tous les clients connectés, sauf `expediteur`."""
    # TODO 3 : pour chaque client du dictionnaire (sauf l'expéditeur), envoyer le message
    #          encodé en UTF-8 et terminé par "\n" (un message = une ligne).
    #          Si l'envoi vers un client échoue (OSError), les autres doivent quand même le recevoir.
    pass


def gerer_client(connexion, adresse):
    """S'occupe d'un client, de sa connexion jusqu'à son départ."""
    # TODO 1 : recevoir le nom : c'est la première ligne envoyée par le client.
    #          recv() donne des octets : décodez-les en UTF-8 et enlevez le "\n" final.
    #          Attention : un recv() peut contenir plusieurs lignes, ou une ligne incomplète.
    #          Enregistrez le client (sous le verrou) et affichez sur la console :
    #          Alice (127.0.0.1) a rejoint le chat.          (adresse[0] est l'adresse IP)
    # TODO 3 : en boucle, recevoir les messages du client. Pour chacun, afficher sur la console
    #          et envoyer aux autres clients (fonction diffuser) la ligne « Alice : Bonjour ! ».
    #          (Pour l'essayer, il faut deux clients connectés en même temps : faites la TODO 2 avant.)
    # TODO 4 : quand le client part (recv() renvoie b"", ou lève une OSError) : le retirer du
    #          dictionnaire, fermer sa connexion, afficher « Alice a quitté le chat. ».
    #          Le serveur, lui, doit continuer à fonctionner pour les autres clients.

    # Pour l'instant, le serveur ne sait rien faire de ce client : il ferme sa connexion.
    # Cette ligne restera la dernière de la fonction : un client qui part est déconnecté.
    connexion.close()


def main():
    serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Permet de relancer le serveur tout de suite sur le même port après l'avoir arrêté.
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind((HOTE, PORT))
    serveur.listen()
    # Sous Windows, Ctrl-C n'interrompt pas un accept() qui attend : là seulement, accept() se
    # réveille chaque seconde pour laisser Python voir le Ctrl-C. Sous Linux et macOS, Ctrl-C
    # interrompt accept() tout de suite.
    if sys.platform == "win32":  # "win32" : Windows, même en 64 bits
        serveur.settimeout(1.0)
    print("Serveur en attente de connexions...")
    try:
        while True:
            try:
                connexion, adresse = serveur.accept()
            except socket.timeout:  # Windows seulement : personne en une seconde, on recommence
                continue
            # TODO 2 : ici, le serveur s'occupe d'un client jusqu'à son départ, et pendant ce
            #          temps il n'accepte personne d'autre. Lancez plutôt gerer_client dans un
            #          nouveau thread (module threading, avec daemon=True), pour que plusieurs
            #          clients puissent discuter en même temps.
            gerer_client(connexion, adresse)
    except KeyboardInterrupt:
        print("Serveur arrêté.")
        serveur.close()


if __name__ == "__main__":
    main()
