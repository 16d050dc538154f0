"""Correcteur automatique du kit « Serveur de chat » (python -m grader PATH)."""

__version__ = "1.0.0"
