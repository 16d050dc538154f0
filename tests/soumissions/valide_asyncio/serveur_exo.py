"""valide : serveur écrit avec asyncio (une coroutine par client, readline)."""
import asyncio
import os

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

participants = {}  # writer -> nom (une seule boucle d'événements : pas besoin de verrou)


async def diffuser(texte, expediteur):
    donnees = (texte + "\n").encode("utf-8")
    for writer in list(participants):
        if writer is expediteur:
            continue
        try:
            writer.write(donnees)
            await writer.drain()
        except (ConnectionError, OSError):
            participants.pop(writer, None)


async def servir(reader, writer):
    adresse = writer.get_extra_info("peername")[0]
    nom = ""
    try:
        nom = (await reader.readline()).decode("utf-8", errors="replace").strip()
        if not nom:
            return
        participants[writer] = nom
        print(f"{nom} ({adresse}) a rejoint le chat.")
        while True:
            ligne = await reader.readline()
            if not ligne:
                break
            message = ligne.decode("utf-8", errors="replace").strip()
            if message:
                print(f"{nom} : {message}")
                await diffuser(f"{nom} : {message}", writer)
    except (ConnectionError, OSError):
        pass
    finally:
        participants.pop(writer, None)
        writer.close()
        if nom:
            print(f"{nom} a quitté le chat.")


async def principal():
    serveur = await asyncio.start_server(servir, HOTE, PORT)
    print("Serveur en attente de connexions...")
    async with serveur:
        await serveur.serve_forever()


asyncio.run(principal())
