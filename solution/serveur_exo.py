"""Serveur de chat multi-clients — solution de référence (avec tous les bonus).

Lancement : python serveur_exo.py   (ou : python serveur_exo.py --port 6000)

Principe :
- un thread par client lit ce que le client envoie ;
- un registre partagé (dictionnaire nom -> client), protégé par un verrou, connaît les présents ;
- chaque client a sa file de messages sortants, vidée par son propre thread d'envoi.

Le protocole complet est décrit dans docs/protocole.md.
"""

import argparse
import os
import queue
import socket
import sys
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

TAILLE_RECEPTION = 4096  # octets lus à chaque recv()
TAILLE_MAX_LIGNE = 65536  # au-delà, sans "\n", le client est déconnecté (protège la mémoire)
MESSAGES_EN_ATTENTE_MAX = 1000  # taille de la file d'envoi d'un client avant de le juger trop lent
FICHIER_HISTORIQUE = "historique.txt"

# Valeur spéciale déposée dans une file d'envoi : « plus rien à envoyer, ferme la connexion ».
FIN = None

# Le registre des clients connectés : nom -> Client.
# Plusieurs threads le lisent et le modifient en même temps : sans verrou, deux clients pourraient
# prendre le même nom, ou une diffusion parcourir le dictionnaire pendant qu'un autre thread le
# modifie (RuntimeError: dictionary changed size during iteration). Règle : on ne touche à
# `clients` qu'à l'intérieur d'un « with verrou_clients: », et on n'y fait rien de bloquant.
clients = {}
verrou_clients = threading.Lock()

# Un seul fichier d'historique, ouvert une fois au démarrage, et un verrou pour que deux lignes
# écrites en même temps par deux threads ne se mélangent pas.
historique = None
verrou_historique = threading.Lock()

# print() depuis plusieurs threads peut mélanger deux lignes : on affiche sous un verrou.
verrou_console = threading.Lock()


class Client:
    """Un client connecté : sa connexion, son nom et sa file de messages sortants."""

    def __init__(self, connexion, nom):
        self.connexion = connexion
        self.nom = nom
        # Les messages à envoyer à ce client attendent ici (déjà encodés en octets).
        # La file a une taille maximale : si elle est pleine, le client ne lit plus.
        self.file_envoi = queue.Queue(maxsize=MESSAGES_EN_ATTENTE_MAX)
        self.parti = False  # devient True une seule fois, sous verrou_clients


# ---------------------------------------------------------------------------------------------
# Petits outils
# ---------------------------------------------------------------------------------------------

def afficher(texte):
    """Affiche une ligne sur la console du serveur, sans la mélanger avec celles des autres threads."""
    with verrou_console:
        print(texte, flush=True)


def horodatage():
    """L'heure actuelle au format [HH:MM], placée devant chaque message relayé."""
    return time.strftime("[%H:%M]")


def en_octets(texte):
    """Transforme une ligne de texte en octets prêts à partir sur le réseau.

    Le réseau ne transporte que des octets : on encode en UTF-8 (les accents et les emojis
    prennent plusieurs octets) et on ajoute "\\n", qui marque la fin de la ligne.
    """
    return (texte + "\n").encode("utf-8")


def interrompre(connexion):
    """Interrompt une connexion avec shutdown(), sans encore la fermer.

    shutdown() prévient le client (il reçoit la fin de connexion) et réveille tout de suite les
    autres threads bloqués dans recv() ou sendall() sur cette connexion : close() seul ne le
    ferait pas toujours. shutdown() échoue si la connexion est déjà coupée : ce n'est pas grave.
    """
    try:
        connexion.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def couper(connexion):
    """Ferme une connexion : shutdown() d'abord (voir interrompre), close() ensuite."""
    interrompre(connexion)
    connexion.close()


def lignes_recues(connexion):
    """Donne, une par une, les lignes envoyées par le client (texte, sans le "\\n").

    Piège n°1 : TCP transporte un flot d'octets, pas des messages. Un recv() peut renvoyer deux
    lignes collées, ou la moitié d'une ligne. On accumule donc les octets dans un tampon et on ne
    traite que les lignes complètes, c'est-à-dire terminées par "\\n".

    Piège n°2 : un caractère accentué (é = 2 octets) ou un emoji (4 octets) peut être coupé entre
    deux recv(). Décoder chaque morceau reçu planterait. On ne décode que des lignes complètes.

    La boucle s'arrête quand le client ferme la connexion ou quand elle est coupée.
    """
    tampon = b""
    while True:
        try:
            morceau = connexion.recv(TAILLE_RECEPTION)
        except OSError:
            return  # connexion réinitialisée par le client, ou coupée par le serveur
        if not morceau:
            return  # b"" : le client a fermé la connexion proprement
        tampon += morceau
        # split() donne les lignes complètes, puis le début (peut-être vide) de la ligne suivante,
        # qu'on garde dans le tampon en attendant la suite.
        morceaux = tampon.split(b"\n")
        tampon = morceaux.pop()
        for ligne in morceaux:
            # errors="replace" : des octets invalides deviennent « � » au lieu de tout planter.
            # rstrip("\r") : certains clients (Windows, telnet) terminent les lignes par "\r\n".
            yield ligne.decode("utf-8", errors="replace").rstrip("\r")
        if len(tampon) > TAILLE_MAX_LIGNE:
            return  # une « ligne » sans fin : on arrête de lire ce client


# ---------------------------------------------------------------------------------------------
# Envoi : une file et un thread d'envoi par client
# ---------------------------------------------------------------------------------------------
# Pourquoi pas un simple sendall() vers chaque client dans la boucle de diffusion ?
# Parce que sendall() bloque si le client ne lit plus (son tampon réseau est plein) : tout le
# salon attendrait ce client. Ici, diffuser revient seulement à déposer le message dans la file
# de chaque client, ce qui ne bloque jamais. Le thread d'envoi de chaque client vide sa file à
# son rythme. Si la file d'un client est pleine, ce client ne lit plus : on le déconnecte.

def deposer(client, donnees):
    """Dépose des octets dans la file d'envoi du client. Renvoie False si la file est pleine."""
    try:
        client.file_envoi.put_nowait(donnees)
        return True
    except queue.Full:
        return False


def envoyer(client, texte):
    """Envoie une ligne à un seul client (réponse à une commande, message privé...)."""
    if not deposer(client, en_octets(texte)):
        client_trop_lent(client)


def boucle_envoi(client):
    """Thread d'envoi d'un client : envoie ce qui arrive dans sa file, dans l'ordre."""
    while True:
        donnees = client.file_envoi.get()  # attend (sans consommer de processeur) un message
        if donnees is FIN:
            break
        try:
            client.connexion.sendall(donnees)
        except OSError:
            break  # le client est parti : un échec d'envoi ne concerne que ce client-là
    depart(client)  # sans effet si le départ a déjà eu lieu
    couper(client.connexion)


def diffuser(texte, sauf=None):
    """Envoie une ligne à tous les clients connectés, sauf `sauf` (l'expéditeur, par exemple)."""
    donnees = en_octets(texte)  # encodé une seule fois, pour tous les destinataires
    trop_lents = []
    with verrou_clients:
        for client in clients.values():
            if client is not sauf and not deposer(client, donnees):
                trop_lents.append(client)
    # Les départs se font après avoir rendu le verrou : depart() a besoin de le reprendre.
    for client in trop_lents:
        client_trop_lent(client)


def client_trop_lent(client):
    """La file du client est pleine : il ne lit plus ce qu'on lui envoie. On le déconnecte."""
    if not client.parti:
        afficher(f"{client.nom} ne lit plus ses messages : il est déconnecté.")
    depart(client)


# ---------------------------------------------------------------------------------------------
# Arrivées et départs
# ---------------------------------------------------------------------------------------------

def inscrire(connexion, nom):
    """Ajoute le client au registre. Renvoie le Client, ou None si le nom est déjà pris."""
    with verrou_clients:
        # Vérifier et ajouter sous le même verrou : sinon deux « Alice » arrivées en même temps
        # pourraient toutes les deux voir le nom libre.
        if nom in clients:
            return None
        client = Client(connexion, nom)
        clients[nom] = client
    threading.Thread(target=boucle_envoi, args=(client,), daemon=True).start()
    return client


def refuser_nom(connexion, nom):
    """Le nom est déjà pris : on le dit au nouveau venu, puis on ferme sa connexion."""
    try:
        connexion.sendall(en_octets(f"Le nom {nom} est déjà utilisé. Reconnectez-vous avec un autre nom."))
    except OSError:
        pass
    couper(connexion)


def depart(client, annonce=None):
    """Fait partir un client, quelle que soit la raison (fermeture, erreur réseau, /quitter,
    expulsion, client trop lent). Peut être appelée plusieurs fois : seule la première compte."""
    with verrou_clients:
        if client.parti:
            return
        client.parti = True
        del clients[client.nom]
    afficher(f"{client.nom} a quitté le chat.")
    diffuser(annonce or f"* {client.nom} a quitté le chat.")
    # FIN demande au thread d'envoi d'envoyer ce qui reste dans la file, puis de fermer.
    # Si la file est pleine (client qui ne lit plus), on coupe tout de suite : le thread
    # d'envoi, bloqué dans sendall(), se réveille en erreur et termine.
    if not deposer(client, FIN):
        interrompre(client.connexion)


# ---------------------------------------------------------------------------------------------
# Messages et commandes des clients
# ---------------------------------------------------------------------------------------------

def relayer(client, message):
    """Envoie le message du client à tous les autres, l'affiche et l'ajoute à l'historique."""
    ligne = f"{horodatage()} {client.nom} : {message}"
    # On diffuse d'abord : les autres reçoivent le message sans attendre l'affichage et
    # l'écriture du fichier, qui passent chacun par un verrou partagé par tous les threads.
    diffuser(ligne, sauf=client)
    afficher(ligne)
    with verrou_historique:
        historique.write(ligne + "\n")
        historique.flush()  # écrit tout de suite sur le disque : lisible pendant que le serveur tourne


def envoyer_liste(client):
    """/liste : le demandeur, et lui seul, reçoit les noms de tous les connectés."""
    with verrou_clients:
        noms = list(clients)
    envoyer(client, f"Connectés ({len(noms)}) : {', '.join(noms)}")


def envoyer_prive(client, message):
    """/privé NOM message : seul NOM reçoit le message."""
    morceaux = message.split(maxsplit=2)  # ["/privé", "NOM", "le message"]
    if len(morceaux) < 3:
        envoyer(client, "Utilisation : /privé NOM message")
        return
    nom_destinataire, texte = morceaux[1], morceaux[2]
    with verrou_clients:
        destinataire = clients.get(nom_destinataire)
    if destinataire is None:
        envoyer(client, f"Utilisateur inconnu : {nom_destinataire}. Tapez /liste pour voir les connectés.")
        return
    afficher(f"{horodatage()} (privé) {client.nom} -> {nom_destinataire} : {texte}")
    envoyer(destinataire, f"{horodatage()} (privé) {client.nom} : {texte}")


def traiter_message(client, message):
    """Traite une ligne reçue d'un client. Renvoie False si le client veut partir."""
    texte = message.strip()
    if not texte:
        return True  # ligne vide : rien à faire
    if texte in ("/quitter", "/exit", "exit"):
        return False
    commande = texte.split()[0]  # le premier mot
    if commande in ("/liste", "/list"):
        envoyer_liste(client)
    elif commande in ("/privé", "/prive"):
        envoyer_prive(client, message)
    elif commande.startswith("/"):
        envoyer(client, f"Commande inconnue : {commande}. Commandes : /liste, /privé NOM message, /quitter")
    else:
        relayer(client, message)
    return True


def gerer_client(connexion, adresse_ip):
    """Thread d'un client : lit son nom, puis ses messages, jusqu'à son départ."""
    lignes = lignes_recues(connexion)
    # La première ligne est le nom. next(lignes, "") donne "" si le client part avant.
    nom = next(lignes, "").strip()
    if not nom:
        # Connexion sans nom (un outil qui vérifie que le serveur écoute, par exemple) :
        # on ferme sans rien annoncer.
        couper(connexion)
        return
    client = inscrire(connexion, nom)
    if client is None:
        refuser_nom(connexion, nom)
        return
    afficher(f"{nom} ({adresse_ip}) a rejoint le chat.")
    envoyer(client, f"Bienvenue {nom} ! Commandes : /liste, /privé NOM message, /quitter")
    diffuser(f"* {nom} a rejoint le chat.", sauf=client)
    try:
        for message in lignes:
            if not traiter_message(client, message):
                break
    finally:
        depart(client)  # « finally » : le départ a lieu même si une erreur imprévue survient


# ---------------------------------------------------------------------------------------------
# La console du serveur : /kick NOM
# ---------------------------------------------------------------------------------------------

def expulser(nom):
    """/kick NOM tapé sur la console : NOM est prévenu et déconnecté, les autres sont prévenus."""
    with verrou_clients:
        client = clients.get(nom)
    if client is None:
        afficher(f"Personne ne s'appelle {nom}.")
        return
    afficher(f"{nom} est expulsé.")
    envoyer(client, "Vous avez été expulsé du chat par le serveur.")
    depart(client, annonce=f"* {nom} a été expulsé du chat.")


def boucle_console():
    """Thread qui lit les commandes tapées dans le terminal du serveur."""
    for ligne in sys.stdin:  # s'arrête à la fin de l'entrée standard ; le serveur continue
        morceaux = ligne.split()
        if len(morceaux) == 2 and morceaux[0] == "/kick":
            expulser(morceaux[1])
        elif morceaux:
            afficher("Commande inconnue. Commande possible : /kick NOM")


# ---------------------------------------------------------------------------------------------
# Démarrage et arrêt
# ---------------------------------------------------------------------------------------------

def lire_arguments():
    """Options --hote et --port, pour qui lance le serveur à la main (par défaut : CHAT_HOTE, CHAT_PORT)."""
    parseur = argparse.ArgumentParser(description="Serveur de chat multi-clients.")
    parseur.add_argument("--hote", default=HOTE, help=f"adresse d'écoute (défaut : {HOTE})")
    parseur.add_argument("--port", type=int, default=PORT, help=f"port d'écoute (défaut : {PORT})")
    return parseur.parse_args()


def creer_serveur(hote, port):
    """Crée la socket d'écoute du serveur, prête à accepter des clients."""
    serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # SO_REUSEADDR : pouvoir relancer le serveur tout de suite sur le même port après l'avoir
    # arrêté (sinon « Address already in use » pendant une minute environ).
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind((hote, port))
    serveur.listen(128)  # jusqu'à 128 connexions en attente d'accept()
    # accept() se réveille chaque seconde : sous Windows, Ctrl-C n'interrompt pas un accept()
    # qui attend. Les connexions acceptées, elles, restent bloquantes (sans délai).
    serveur.settimeout(1.0)
    return serveur


def boucle_acceptation(serveur):
    """Accepte les clients, et lance pour chacun un thread qui s'en occupe."""
    while True:
        try:
            connexion, adresse = serveur.accept()
        except socket.timeout:
            continue  # personne en une seconde : on recommence
        # daemon=True : Python n'attend pas la fin d'un thread « daemon » pour terminer le
        # programme. Sans cela, après Ctrl-C, le serveur resterait bloqué tant qu'un client
        # est connecté. Tous les threads de ce serveur sont des daemons.
        threading.Thread(target=gerer_client, args=(connexion, adresse[0]), daemon=True).start()


def arreter(serveur):
    """Ctrl-C : ferme toutes les connexions, puis le serveur."""
    with verrou_clients:
        partants = list(clients.values())
        for client in partants:
            client.parti = True  # leur thread ne les annoncera pas comme partis un par un
        clients.clear()
    for client in partants:
        interrompre(client.connexion)
    serveur.close()
    afficher(f"Serveur arrêté ({len(partants)} connexion(s) fermée(s)).")


def main():
    global historique
    arguments = lire_arguments()
    try:
        serveur = creer_serveur(arguments.hote, arguments.port)
    except OSError as erreur:
        print(f"Impossible d'écouter sur {arguments.hote}:{arguments.port} ({erreur.strerror}). "
              "Un autre serveur utilise-t-il déjà ce port ?", file=sys.stderr)
        sys.exit(1)
    # "a" : ajout à la fin du fichier ; encoding="utf-8" : les accents s'écrivent partout pareil.
    historique = open(FICHIER_HISTORIQUE, "a", encoding="utf-8")
    threading.Thread(target=boucle_console, daemon=True).start()
    afficher("Serveur en attente de connexions...")
    try:
        boucle_acceptation(serveur)
    except KeyboardInterrupt:
        arreter(serveur)


if __name__ == "__main__":
    main()
