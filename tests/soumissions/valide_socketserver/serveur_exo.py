"""valide : serveur écrit avec socketserver.ThreadingTCPServer (un thread par client fourni par la bibliothèque)."""
import os
import socketserver
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

connectes = set()
verrou = threading.Lock()


class Client(socketserver.StreamRequestHandler):
    def diffuser(self, texte):
        with verrou:
            autres = [c for c in connectes if c is not self]
        for autre in autres:
            try:
                autre.request.sendall((texte + "\n").encode("utf-8"))
            except OSError:
                pass

    def handle(self):
        self.nom = ""
        try:
            self.nom = self.rfile.readline().decode("utf-8", errors="replace").strip()
            if not self.nom:
                return
            with verrou:
                connectes.add(self)
            print(f"{self.nom} ({self.client_address[0]}) a rejoint le chat.")
            for ligne in self.rfile:
                message = ligne.decode("utf-8", errors="replace").strip()
                if message:
                    print(f"{self.nom} : {message}")
                    self.diffuser(f"{self.nom} : {message}")
        except OSError:
            pass
        finally:
            with verrou:
                connectes.discard(self)
            if self.nom:
                print(f"{self.nom} a quitté le chat.")


class Serveur(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Serveur((HOTE, PORT), Client) as serveur:
    print("Serveur en attente de connexions...")
    serveur.serve_forever()
