"""Bug : fichier enregistré en Latin-1 (accents : é à ç), pas en UTF-8."""
import socket

print("Serveur démarré : en attente de connexions...")
