"""valide : asyncio, avec une tâche périodique qui compte les connectés toutes les 0,2 s."""
import asyncio
import os

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}  # flux d'écriture -> nom
statistiques = {"connectes_max": 0}


async def diffuser(message, expediteur):
    for ecrivain in list(clients):
        if ecrivain is not expediteur:
            try:
                ecrivain.write((message + "\n").encode("utf-8"))
                await ecrivain.drain()
            except OSError:
                pass


async def gerer_client(lecteur, ecrivain):
    nom = (await lecteur.readline()).decode("utf-8", errors="replace").strip()
    if not nom:
        ecrivain.close()
        return
    clients[ecrivain] = nom
    print(f"{nom} ({ecrivain.get_extra_info('peername')[0]}) a rejoint le chat.")
    try:
        while True:
            ligne = await lecteur.readline()
            if not ligne:
                break
            message = ligne.decode("utf-8", errors="replace").strip()
            if message:
                print(f"{nom} : {message}")
                await diffuser(f"{nom} : {message}", ecrivain)
    except OSError:
        pass
    del clients[ecrivain]
    ecrivain.close()
    print(f"{nom} a quitté le chat.")


async def compter():
    """La tâche périodique : elle se réveille toutes les 0,2 s, même quand personne ne parle."""
    while True:
        statistiques["connectes_max"] = max(statistiques["connectes_max"], len(clients))
        await asyncio.sleep(0.2)


async def main():
    serveur = await asyncio.start_server(gerer_client, HOTE, PORT)
    print("Serveur en attente de connexions...")
    asyncio.create_task(compter())
    async with serveur:
        await serveur.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
