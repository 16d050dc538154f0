"""Bug : le client lit le nom puis les messages au clavier, mais ne se connecte jamais (et n'affiche rien)."""
brouillons = []
nom = input("Entrez votre nom : ")
while True:
    message = input()
    if message == "exit":
        break
    brouillons.append(f"{nom} : {message}")  # oubli : socket.create_connection(...) et sendall(...)
