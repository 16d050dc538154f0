"""Valide : le thread de réception fait recv() avec un délai (settimeout) et s'arrête sur un drapeau."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

arret = threading.Event()


def recevoir(connexion):
    connexion.settimeout(0.2)  # recv() se réveille toutes les 0,2 s pour regarder le drapeau
    while not arret.is_set():
        try:
            donnees = connexion.recv(1024)
        except socket.timeout:
            continue
        except OSError:
            break
        if not donnees:
            print("Le serveur a fermé la connexion.", flush=True)
            os._exit(0)
        print(donnees.decode("utf-8", errors="replace"), end="", flush=True)


def main():
    nom = input("Entrez votre nom : ")
    connexion = socket.create_connection((HOTE, PORT))
    connexion.sendall((nom + "\n").encode("utf-8"))
    recepteur = threading.Thread(target=recevoir, args=(connexion,))
    recepteur.start()
    while True:
        message = input("Votre message : ")
        if message == "exit":
            break
        connexion.sendall((message + "\n").encode("utf-8"))
    arret.set()
    recepteur.join()
    connexion.close()


if __name__ == "__main__":
    main()
