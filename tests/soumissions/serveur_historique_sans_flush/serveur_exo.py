"""Bug (bonus) : historique.txt est écrit sans flush(), donc vide tant que le serveur tourne ; [HH:MM] est correct."""
import asyncio
import os
from datetime import datetime

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

ecrivains = {}  # StreamWriter -> nom
historique = open("historique.txt", "a", encoding="utf-8")  # jamais vidé : tout reste dans le tampon


async def recevoir(lecteur):
    return (await lecteur.readline()).decode("utf-8", errors="replace").rstrip("\r\n")


async def participant(lecteur, ecrivain):
    nom = await recevoir(lecteur)
    if not nom:
        ecrivain.close()
        return
    ecrivains[ecrivain] = nom
    print(f"{nom} ({ecrivain.get_extra_info('peername')[0]}) a rejoint le chat.", flush=True)
    try:
        while not lecteur.at_eof():
            texte = await recevoir(lecteur)
            if not texte and lecteur.at_eof():
                break
            ligne = f"{nom} : {texte}"
            print(ligne, flush=True)
            historique.write(ligne + "\n")
            paquet = f"[{datetime.now():%H:%M}] {ligne}\n".encode("utf-8")
            for autre in list(ecrivains):
                if autre is not ecrivain:
                    autre.write(paquet)
    except ConnectionError:
        pass
    finally:
        del ecrivains[ecrivain]
        print(f"{nom} a quitté le chat.", flush=True)
        ecrivain.close()


async def principal():
    serveur = await asyncio.start_server(participant, HOTE, PORT)
    print("Serveur en attente de connexions...", flush=True)
    async with serveur:
        await serveur.serve_forever()


asyncio.run(principal())
