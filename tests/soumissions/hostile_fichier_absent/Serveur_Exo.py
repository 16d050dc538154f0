"""Bug : le fichier du serveur est mal nommé (Serveur_Exo.py au lieu de serveur_exo.py)."""
print("Serveur en attente de connexions...")
