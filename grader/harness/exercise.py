"""What the exercise fixes, in one place: the two programs a student hands in, and the address every
program of a grading talks on (the students' programs read it from CHAT_HOTE and CHAT_PORT)."""

from __future__ import annotations

SERVER = "serveur_exo.py"
CLIENT = "client_exo.py"
PROGRAMS = (SERVER, CLIENT)
HOST = "127.0.0.1"  # the loopback only: nothing a grading starts is reachable from another machine
