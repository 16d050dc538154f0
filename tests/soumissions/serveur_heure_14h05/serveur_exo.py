"""Bug (bonus) : l'heure est écrite [14h05] au lieu de [14:05] ; /quitter et /exit sont corrects."""
import os
import socketserver
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

salon = {}  # nom -> gestionnaire
verrou_salon = threading.Lock()


class Gestionnaire(socketserver.StreamRequestHandler):
    def parler(self, texte):
        try:
            self.wfile.write((texte + "\n").encode("utf-8"))
        except OSError:
            pass

    def handle(self):
        self.nom = self.rfile.readline().decode("utf-8", errors="replace").strip()
        if not self.nom:
            return
        with verrou_salon:
            salon[self.nom] = self
        print(f"{self.nom} ({self.client_address[0]}) a rejoint le chat.", flush=True)
        try:
            for brut in self.rfile:
                texte = brut.decode("utf-8", errors="replace").rstrip("\r\n")
                if texte in ("/quitter", "/exit"):
                    break
                print(f"{self.nom} : {texte}", flush=True)
                horodatage = time.strftime("[%Hh%M]")
                with verrou_salon:
                    autres = [g for g in salon.values() if g is not self]
                for autre in autres:
                    autre.parler(f"{horodatage} {self.nom} : {texte}")
        except OSError:
            pass
        finally:
            with verrou_salon:
                salon.pop(self.nom, None)
            print(f"{self.nom} a quitté le chat.", flush=True)


class Serveur(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Serveur((HOTE, PORT), Gestionnaire) as serveur:
    print("Serveur en attente de connexions...", flush=True)
    serveur.serve_forever()
