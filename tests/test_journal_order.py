"""S09 (the server's console) does not depend on the order in which a correct server prints: a thread
that relays first and prints after may be overtaken by the next message's thread."""

from __future__ import annotations

from pathlib import Path

from tests.grading import CORPUS, grade

LATE_PRINT = '''
import threading
import time

_print = print


def print(*args, **kwargs):
    """Bob's messages reach the console only after the next message has been printed."""
    text = " ".join(str(arg) for arg in args)
    if text.startswith("Bob : "):
        threading.Thread(target=lambda: (time.sleep(0.4), _print(*args, **kwargs)), daemon=True).start()
    else:
        _print(*args, **kwargs)

'''


def test_a_console_line_printed_after_the_next_one_still_counts(tmp_path: Path) -> None:
    source = (CORPUS / "valide_threads" / "serveur_exo.py").read_text(encoding="utf-8")
    head, _, body = source.partition("import os\n")
    (tmp_path / "serveur_exo.py").write_text(head + "import os\n" + LATE_PRINT + body, encoding="utf-8")
    assert grade(tmp_path, "--only", "S09").status("S09") == "reussie"
