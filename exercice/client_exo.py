"""Client de chat — fichier de départ de l'exercice.

Ce programme fonctionne déjà : il demande le nom de l'utilisateur... et s'arrête.
C'est à vous de compléter les « TODO », dans l'ordre (voir docs/enonce.md et docs/protocole.md).

Lancement : python client_exo.py   (le serveur doit être lancé avant)
Vérification : python -m grader exercice/
"""

import os
import socket
import threading

# L'adresse et le port du serveur. Ne changez pas ces deux lignes : le correcteur choisit
# lui-même le port avec la variable d'environnement CHAT_PORT.
HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def recevoir(connexion):
    """Affiche chaque ligne envoyée par le serveur, dès qu'elle arrive."""
    # TODO 3 : en boucle, recevoir (recv) et afficher ce qui arrive du serveur.
    #          Les octets reçus sont du texte UTF-8 ; un recv() peut contenir plusieurs lignes,
    #          ou une ligne incomplète.
    # TODO 4 : quand recv() renvoie b"" (ou lève une OSError), le serveur est parti : dites-le
    #          à l'utilisateur et terminez le programme, sans message d'erreur Python.
    #          Astuce : le thread principal attend dans input() ; os._exit(0) arrête tout le
    #          programme, même dans ce cas (pensez à print(..., flush=True) juste avant).
    pass


def main():
    # 1. Demander le nom : déjà fait.
    nom = input("Entrez votre nom : ")
    # TODO 2 : se connecter au serveur (HOTE, PORT), puis lui envoyer tout de suite le nom :
    #          une ligne de texte encodée en UTF-8 et terminée par "\n".
    # TODO 3 : lancer la fonction recevoir dans un thread (module threading, avec daemon=True) :
    #          les messages des autres doivent s'afficher pendant que l'utilisateur tape.
    # TODO 3 : en boucle, lire un message avec input("Votre message : ") et l'envoyer au
    #          serveur (UTF-8, terminé par "\n").
    # TODO 4 : si l'utilisateur tape exit : fermer la connexion et terminer le programme.


if __name__ == "__main__":
    main()
