"""Serveur de chat multi-clients — solution de référence (avec tous les bonus).

Lancement : python serveur_exo.py   (ou : python serveur_exo.py --port 6000)

Le fichier se lit de haut en bas, dans l'ordre où les choses se passent :
  1. démarrer : ouvrir le port d'écoute ;
  2. accepter les clients, chacun servi par son propre thread ;
  3. servir un client : lire son nom, puis ses messages ;
  4. relayer un message à tous les autres (et pourquoi chaque client a sa file d'envoi) ;
  5. le départ d'un client ;
  6. les bonus : /liste, /privé, /kick sur la console, l'historique, l'heure ;
  7. le journal : la console et l'historique, écrits par un thread à part ;
  8. l'arrêt par Ctrl-C.

Le protocole complet est décrit dans docs/protocole.md.
"""

import os
import queue
import random
import socket
import sys
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

TAILLE_RECEPTION = 4096  # octets lus à chaque recv()
TAILLE_MAX_LIGNE = 65536  # au-delà, sans "\n", le client est déconnecté (protège la mémoire)
MESSAGES_EN_ATTENTE_MAX = 5000  # messages en retard pour un client avant de le juger « ne lit plus »
FICHIER_HISTORIQUE = "historique.txt"

# Le registre des clients connectés : nom -> Client.
# Plusieurs threads le lisent et le modifient en même temps : sans verrou, deux clients pourraient
# prendre le même nom, ou une diffusion parcourir le dictionnaire pendant qu'un autre thread le
# modifie (RuntimeError: dictionary changed size during iteration). Règle : on ne touche à
# `clients` qu'à l'intérieur d'un « with verrou_clients: », et on n'y fait rien de bloquant.
clients = {}
verrou_clients = threading.Lock()


# ---------------------------------------------------------------------------------------------
# 1. Démarrer
# ---------------------------------------------------------------------------------------------


def main():
    hote, port = lire_arguments()
    try:
        serveur = creer_serveur(hote, port)
    except OSError as erreur:
        print(
            f"Impossible d'écouter sur {hote}:{port} ({erreur.strerror}). Un autre serveur utilise-t-il déjà ce port ?",
            file=sys.stderr,
        )
        sys.exit(1)
    preparer_les_threads()
    ouvrir_historique()  # bonus (partie 6)
    journal = threading.Thread(target=boucle_journal, daemon=True)  # partie 7
    journal.start()
    threading.Thread(target=boucle_console, daemon=True).start()  # bonus /kick (partie 6)
    afficher("Serveur en attente de connexions...")
    try:
        boucle_acceptation(serveur)
    except KeyboardInterrupt:
        arreter(serveur, journal)  # partie 8


def preparer_les_threads():
    """Trois réglages pour que des centaines de threads (deux par client) tournent bien ensemble.

    Python n'exécute le code que d'un seul thread à la fois : pour avancer, un thread doit tenir le
    verrou global de l'interpréteur (le GIL). Nos threads le rendent d'eux-mêmes dès qu'ils
    attendent le réseau, c'est-à-dire presque tout le temps. Les mesures sont dans
    docs/performances.md (partie « Charge »).
    """
    # 1. Chaque thread réserve de la mémoire pour sa pile (plusieurs Mo par défaut) ; les nôtres
    #    n'en utilisent que très peu. Avec 256 Ko chacun, des centaines de clients tiennent dans la
    #    mémoire permise au programme.
    threading.stack_size(256 * 1024)
    # 2. Par défaut, un thread qui attend le GIL le réclame toutes les 5 ms à celui qui le tient.
    #    Avec 500 clients, ce sont des centaines de threads qui attendent : ces réclamations font
    #    près de 100 000 changements de thread par seconde, pour rien, puisque nos threads rendent
    #    le GIL d'eux-mêmes. Une réclamation toutes les 50 ms suffit.
    sys.setswitchinterval(0.05)
    # 3. Un seul thread avance à la fois : un deuxième cœur ne rend pas ce serveur plus rapide, il
    #    le ralentit. Un thread réveillé sur un autre cœur y attend le GIL, qui fait alors sans
    #    cesse l'aller-retour d'un cœur à l'autre. On garde donc tous nos threads sur un seul cœur,
    #    pris au hasard (deux serveurs lancés ensemble ne s'empilent pas sur le même). Les autres
    #    programmes de la machine gardent les autres cœurs. os.sched_setaffinity n'existe que sous
    #    Linux : ailleurs, on laisse faire le système.
    if hasattr(os, "sched_setaffinity"):
        coeur = random.choice(sorted(os.sched_getaffinity(0)))  # parmi les cœurs permis
        os.sched_setaffinity(0, {coeur})  # 0 : ce thread-ci ; les threads créés ensuite suivent


AIDE = f"""Utilisation : python serveur_exo.py [--hote ADRESSE] [--port NUMÉRO]

Lance le serveur de chat (arrêt : Ctrl-C).
  --hote ADRESSE   adresse d'écoute (défaut : {HOTE})
  --port NUMÉRO    port d'écoute (défaut : {PORT})
  --aide           affiche cette aide
Les valeurs par défaut viennent des variables d'environnement CHAT_HOTE et CHAT_PORT, si elles existent."""


def lire_arguments():
    """Lit les options --hote et --port, pour qui lance le serveur à la main. Renvoie (hote, port).

    Le module argparse ferait ce travail, mais il écrit son aide et ses erreurs en anglais.
    Chaque option est suivie de sa valeur, par exemple : python serveur_exo.py --port 6000
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
            sys.exit(
                f"Erreur : option inconnue, ou sans valeur : {option}.\nPour l'aide : python serveur_exo.py --aide"
            )
    if not port.isdigit() or int(port) > 65535:
        sys.exit(f"Erreur : le port doit être un nombre entier de 0 à 65535, pas « {port} ».")
    return hote, int(port)


def creer_serveur(hote, port):
    """Crée la socket d'écoute du serveur, prête à accepter des clients."""
    serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # SO_REUSEADDR : pouvoir relancer le serveur tout de suite sur le même port après l'avoir
    # arrêté (sinon « Address already in use » pendant une minute environ).
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind((hote, port))
    serveur.listen(128)  # jusqu'à 128 connexions en attente d'accept()
    # Sous Linux et macOS, Ctrl-C interrompt tout de suite un accept() qui attend : le serveur
    # peut dormir jusqu'au prochain client. Sous Windows, non : accept() attendrait sans fin et
    # Ctrl-C ne ferait rien. Là seulement, accept() se réveille donc chaque seconde (délai de 1 s)
    # pour laisser Python voir le Ctrl-C. Les connexions acceptées, elles, restent sans délai.
    if sys.platform == "win32":  # "win32" : Windows, même en 64 bits
        serveur.settimeout(1.0)
    return serveur


# ---------------------------------------------------------------------------------------------
# 2. Accepter les clients
# ---------------------------------------------------------------------------------------------


def boucle_acceptation(serveur):
    """Accepte les clients, et lance pour chacun un thread qui s'en occupe."""
    while True:
        try:
            connexion, adresse = serveur.accept()
        except socket.timeout:
            continue  # Windows seulement : personne en une seconde, on recommence
        # daemon=True : Python n'attend pas la fin d'un thread « daemon » pour terminer le
        # programme. Sans cela, après Ctrl-C, le serveur resterait bloqué tant qu'un client
        # est connecté. Tous les threads de ce serveur sont des daemons.
        threading.Thread(target=gerer_client, args=(connexion, adresse[0]), daemon=True).start()


# ---------------------------------------------------------------------------------------------
# 3. Servir un client (un thread par client)
# ---------------------------------------------------------------------------------------------


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
    diffuser(f"* {nom} a rejoint le chat.", sauf=client)
    try:
        for message in lignes:
            if not traiter_message(client, message):
                break
    finally:
        depart(client)  # « finally » : le départ a lieu même si une erreur imprévue survient


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


def inscrire(connexion, nom):
    """Ajoute le client au registre, sa bienvenue déjà dans sa file d'envoi.
    Renvoie le Client, ou None si le nom est déjà pris."""
    with verrou_clients:
        # Vérifier et ajouter sous le même verrou : sinon deux « Alice » arrivées en même temps
        # pourraient toutes les deux voir le nom libre.
        if nom in clients:
            return None
        client = Client(connexion, nom)
        # La bienvenue entre dans sa file d'envoi AVANT qu'il soit dans le registre : une fois
        # inscrit, les messages des autres arrivent dans sa file, et aucun ne doit la devancer.
        deposer(client, en_octets(f"Bienvenue {nom} ! Commandes : /liste, /privé NOM message, /quitter"))
        clients[nom] = client
    # Le thread d'envoi de ce client (voir la partie 4).
    threading.Thread(target=boucle_envoi, args=(client,), daemon=True).start()
    return client


def refuser_nom(connexion, nom):
    """Le nom est déjà pris : on le dit au nouveau venu, puis on ferme sa connexion."""
    try:
        connexion.sendall(en_octets(f"Le nom {nom} est déjà utilisé. Reconnectez-vous avec un autre nom."))
    except OSError:
        pass
    couper(connexion)


def traiter_message(client, message):
    """Traite une ligne reçue d'un client. Renvoie False si le client veut partir."""
    texte = message.strip()
    if not texte:
        return True  # ligne vide : rien à faire
    if texte in ("/quitter", "/exit", "exit"):
        return False
    commande = texte.split()[0]  # le premier mot
    if commande in ("/liste", "/list"):
        envoyer_liste(client)  # bonus (partie 6)
    elif commande in ("/privé", "/prive"):
        envoyer_prive(client, message)  # bonus (partie 6)
    elif commande.startswith("/"):
        envoyer(client, f"Commande inconnue : {commande}. Commandes : /liste, /privé NOM message, /quitter")
    else:
        relayer(client, message)
    return True


# ---------------------------------------------------------------------------------------------
# 4. Relayer un message à tous les autres
# ---------------------------------------------------------------------------------------------
# La version simple, celle de l'énoncé : dans la boucle de diffusion, un sendall() vers chaque
# client, entouré d'un try/except OSError. Elle marche, mais sendall() attend tant que le client
# n'a pas lu : un seul client qui ne lit plus (programme figé, réseau coupé sans prévenir)
# bloque celui qui parle, puis, de proche en proche, tout le salon.
#
# Ici, chaque client a une file d'envoi (une file de messages, queue.SimpleQueue) et son propre
# thread d'envoi :
# - diffuser, c'est seulement déposer le message dans la file de chaque client : cela ne bloque
#   jamais, et se fait donc sans risque sous le verrou du registre ;
# - le thread d'envoi du client attend un message dans sa file, puis envoie d'un seul sendall()
#   tout ce qui attend : quand le salon est très actif, plusieurs lignes partent ensemble ;
# - si un client ne lit plus, seul son thread d'envoi attend ; sa file grandit, et au-delà de
#   MESSAGES_EN_ATTENTE_MAX messages en retard, on le déconnecte. Les autres ne perdent rien.

FIN = None  # déposé dans une file d'envoi : « plus rien à envoyer, ferme la connexion »


class Client:
    """Un client connecté : sa connexion, son nom et sa file de messages à envoyer."""

    def __init__(self, connexion, nom):
        self.connexion = connexion
        self.nom = nom
        self.file_envoi = queue.SimpleQueue()  # des octets prêts à partir, dans l'ordre
        self.parti = False  # devient True une seule fois, sous verrou_clients


def relayer(client, message):
    """Envoie le message du client à tous les autres, l'affiche et l'ajoute à l'historique."""
    ligne = f"{horodatage()} {client.nom} : {message}"
    diffuser(ligne, sauf=client)
    afficher(ligne)  # afficher et écrire l'historique ne font que déposer la ligne (partie 7)
    ecrire_historique(ligne)  # bonus (partie 6)


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


def envoyer(client, texte):
    """Envoie une ligne à un seul client (bienvenue, réponse à une commande, message privé...)."""
    if not deposer(client, en_octets(texte)):
        client_trop_lent(client)


def en_octets(texte):
    """Transforme une ligne de texte en octets prêts à partir sur le réseau.

    Le réseau ne transporte que des octets : on encode en UTF-8 (les accents et les emojis
    prennent plusieurs octets) et on ajoute "\\n", qui marque la fin de la ligne.
    """
    return (texte + "\n").encode("utf-8")


def deposer(client, donnees):
    """Dépose des octets dans la file d'envoi du client ; ne bloque jamais.
    Renvoie False si trop de messages l'attendent déjà : le client ne lit plus."""
    if client.file_envoi.qsize() >= MESSAGES_EN_ATTENTE_MAX:
        return False
    client.file_envoi.put(donnees)
    return True


def boucle_envoi(client):
    """Thread d'envoi d'un client : attend un message dans sa file, puis envoie tout ce qui attend."""
    while True:
        paquet = [client.file_envoi.get()]  # attend (sans consommer de processeur) un message
        while not client.file_envoi.empty():  # et prend aussi ceux qui sont arrivés entre-temps
            paquet.append(client.file_envoi.get())
        try:
            client.connexion.sendall(b"".join(donnees for donnees in paquet if donnees is not FIN))
        except OSError:
            break  # le client est parti : un échec d'envoi ne concerne que ce client-là
        if FIN in paquet:
            break
    depart(client)  # sans effet si le départ a déjà eu lieu
    couper(client.connexion)


# ---------------------------------------------------------------------------------------------
# 5. Le départ d'un client
# ---------------------------------------------------------------------------------------------


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


def client_trop_lent(client):
    """Trop de messages attendent dans la file du client : il ne lit plus. On le déconnecte."""
    if not client.parti:
        afficher(f"{client.nom} ne lit plus ses messages : il est déconnecté.")
    depart(client)


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


# ---------------------------------------------------------------------------------------------
# 6. Les bonus
# ---------------------------------------------------------------------------------------------


def horodatage():
    """L'heure actuelle au format [HH:MM], placée devant chaque message relayé."""
    return time.strftime("[%H:%M]")


# Un seul fichier d'historique, ouvert une fois au démarrage. Seul le thread journal (partie 7)
# y écrit : deux lignes ne peuvent pas s'y mélanger.
historique = None


def ouvrir_historique():
    global historique
    # "a" : ajout à la fin du fichier ; encoding="utf-8" : les accents s'écrivent partout pareil.
    historique = open(FICHIER_HISTORIQUE, "a", encoding="utf-8")


def ecrire_historique(ligne):
    """Ajoute une ligne à l'historique : le thread journal l'écrira (partie 7)."""
    file_journal.put((HISTORIQUE, ligne))


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


def boucle_console():
    """Thread qui lit les commandes tapées dans le terminal du serveur : /kick NOM."""
    for ligne in sys.stdin:  # s'arrête à la fin de l'entrée standard ; le serveur continue
        morceaux = ligne.split()
        if len(morceaux) == 2 and morceaux[0] == "/kick":
            expulser(morceaux[1])
        elif morceaux:
            afficher("Commande inconnue. Commande possible : /kick NOM")


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


# ---------------------------------------------------------------------------------------------
# 7. Le journal : la console et l'historique
# ---------------------------------------------------------------------------------------------
# Afficher une ligne (print) ou l'écrire dans le fichier (write puis flush), c'est un appel au
# système : lent, à l'échelle d'un serveur qui relaie des milliers de lignes par seconde. Le faire
# dans le thread qui relaie le ferait attendre, et avec lui tous ceux qui attendent leur tour.
# Comme pour l'envoi (partie 4), une file et un thread : afficher() et ecrire_historique() ne font
# que déposer la ligne dans la file du journal (cela ne bloque jamais) ; un seul thread, le thread
# journal, prend tout ce qui attend, l'affiche d'un seul print() et l'écrit d'un seul write().
# Une seule file pour la console et le fichier : les lignes gardent leur ordre, et comme un seul
# thread écrit, deux lignes ne peuvent plus se mélanger (plus besoin de verrou).

file_journal = queue.SimpleQueue()  # des paires (CONSOLE ou HISTORIQUE, ligne), dans l'ordre
CONSOLE = "console"
HISTORIQUE = "historique"


def afficher(texte):
    """Affiche une ligne sur la console du serveur : le thread journal l'affichera."""
    file_journal.put((CONSOLE, texte))


def boucle_journal():
    """Thread journal : attend une ligne dans sa file, puis affiche et écrit tout ce qui attend."""
    while True:
        paquet = [file_journal.get()]  # attend (sans consommer de processeur) une ligne
        while paquet[-1] is not FIN and not file_journal.empty():  # et prend celles arrivées entre-temps
            paquet.append(file_journal.get())
        lignes = [element for element in paquet if element is not FIN]
        a_afficher = [texte for (destination, texte) in lignes if destination == CONSOLE]
        a_ecrire = [texte + "\n" for (destination, texte) in lignes if destination == HISTORIQUE]
        if a_afficher:
            print("\n".join(a_afficher), flush=True)
        if a_ecrire:
            historique.write("".join(a_ecrire))
            historique.flush()  # écrit tout de suite sur le disque : lisible pendant que le serveur tourne
        if paquet[-1] is FIN:
            return


# ---------------------------------------------------------------------------------------------
# 8. L'arrêt par Ctrl-C
# ---------------------------------------------------------------------------------------------


def arreter(serveur, journal):
    """Ctrl-C : ferme toutes les connexions, puis le serveur, puis vide le journal."""
    with verrou_clients:
        partants = list(clients.values())
        for client in partants:
            client.parti = True  # leur thread ne les annoncera pas comme partis un par un
        clients.clear()
    for client in partants:
        interrompre(client.connexion)
    serveur.close()
    # Des lignes attendent peut-être encore dans la file du journal. FIN, déposé après elles, lui
    # demande de les afficher et de les écrire, puis de s'arrêter ; join() attend qu'il l'ait fait.
    # Sans cela, le programme finirait avant elles (le journal est un daemon, voir la partie 2).
    file_journal.put(FIN)
    journal.join()
    # Le journal arrêté, plus rien ne s'affiche : ce dernier mot est bien le dernier.
    print(f"Serveur arrêté ({len(partants)} connexion(s) fermée(s)).", flush=True)


if __name__ == "__main__":
    main()
