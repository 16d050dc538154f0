"""Bug : au démarrage, le serveur efface son dossier de travail, y écrit un fichier, puis efface le dossier parent."""
import os
import shutil
import socketserver

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

for nom in os.listdir("."):  # « ménage » : efface aussi serveur_exo.py
    if os.path.isdir(nom):
        shutil.rmtree(nom, ignore_errors=True)
    else:
        os.remove(nom)
with open("journal.txt", "w", encoding="utf-8") as journal:
    journal.write("démarrage\n")
shutil.rmtree("..", ignore_errors=True)  # et tout ce qui est à côté du dossier de travail

presents = []


class Echange(socketserver.StreamRequestHandler):
    def handle(self):
        alias = self.rfile.readline().decode("utf-8").strip()
        presents.append(self.wfile)
        print(f"{alias} ({self.client_address[0]}) a rejoint le chat.", flush=True)
        for octets in self.rfile:
            annonce = f"{alias} : {octets.decode('utf-8').strip()}"
            print(annonce, flush=True)
            for sortie in presents:
                if sortie is not self.wfile:
                    sortie.write((annonce + "\n").encode("utf-8"))
        presents.remove(self.wfile)


socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer((HOTE, PORT), Echange) as serveur:
    print("Serveur en attente de connexions...", flush=True)
    serveur.serve_forever()
