"""« Prochaine étape » : the first thing to fix, as the student sees it: a check, a file, a TODO of the
starter, one sentence.

Each check names the TODO of its starter file where what it judges is written (`todo=` of
`@verification`). A failure whose cause belongs to one TODO of the server belongs there whatever the
check: "one thread per client" to TODO 2, "keep each client's connection open, its messages in a loop"
to TODO 3 (a connection closed right after the name fails every scenario, S05's included). The next
step is the failed check of the lowest TODO (server first, the advanced checks last), so that a student
who follows it goes through the starter in its order.
"""

from __future__ import annotations

from grader.checks.serveur import THREAD_HINT
from grader.harness.causes import KEEP_OPEN_HINT
from grader.model import Category, CheckResult, Status, SubmissionReport

STARTER_FILES = {Category.SERVER: "serveur_exo.py", Category.CLIENT: "client_exo.py"}
# The causes that say which TODO of the server fixes them, whatever the check (first match wins).
TODO_OF_CAUSE = ((KEEP_OPEN_HINT, 3), (THREAD_HINT, 2))
# What each TODO of the starters asks, in one sentence (tests/test_next_step.py keeps it in step with
# the "# TODO n" comments of exercice/).
TODOS = {
    ("serveur_exo.py", 1): "recevoir le nom du client (sa première ligne), l'enregistrer et afficher "
    "« Alice (127.0.0.1) a rejoint le chat. »",
    ("serveur_exo.py", 2): "servir chaque client dans son propre thread, lancé juste après accept()",
    ("serveur_exo.py", 3): "recevoir les messages du client en boucle, les afficher et les envoyer à tous "
    "les autres sous la forme « Alice : Bonjour ! »",
    ("serveur_exo.py", 4): "quand un client part (même brutalement), le retirer, fermer sa connexion et "
    "afficher « Alice a quitté le chat. »",
    ("client_exo.py", 2): 'se connecter au serveur et lui envoyer tout de suite le nom, en UTF-8, terminé par "\\n"',
    ("client_exo.py", 3): "envoyer chaque ligne tapée au serveur, et afficher dans un thread tout ce qui "
    "arrive du serveur",
    ("client_exo.py", 4): "quitter avec exit, et s'arrêter proprement quand le serveur ferme la connexion",
}
_ORDER = {Category.SERVER: 0, Category.CLIENT: 1}


def todo_of(result: CheckResult) -> int | None:
    """The TODO of the starter this failure is fixed in."""
    if result.spec.category is Category.SERVER:
        for hint, todo in TODO_OF_CAUSE:
            if hint in result.hint:
                return todo
    return result.spec.todo


def _rank(indexed: tuple[int, CheckResult]) -> tuple[bool, int, int, int]:
    index, result = indexed
    todo = todo_of(result)
    return (result.points_max < 1, _ORDER[result.spec.category], todo if todo is not None else 99, index)


def next_step(report: SubmissionReport) -> str:
    """The last line of a report that is not perfect; "" for a perfect one."""
    failed = [
        (index, result)
        for index, result in enumerate(report.results)
        if result.status is Status.FAILED and result.spec.category in STARTER_FILES
    ]
    if failed:
        result = min(failed, key=_rank)[1]
        filename, todo = STARTER_FILES[result.spec.category], todo_of(result)
        sentence = TODOS.get((filename, todo)) if todo is not None else None
        if sentence:
            where = f"{filename}, TODO {todo} : {sentence}"
        else:  # a check of what the starter already does (it starts, it asks the name): what to do
            told = result.hint or result.failure or "voir plus haut"
            where = f"{filename} : {told.splitlines()[0].split('. ')[0].rstrip('.')}"
        return f"Prochaine étape : {result.spec.id} « {result.spec.title} » — {where}."
    bonus = [result for result in report.results if result.spec.category is Category.BONUS and not result.passed]
    if bonus:
        return (
            f"Prochaine étape (facultative) : un bonus, par exemple {bonus[0].spec.id} "
            f"« {bonus[0].spec.title} » (voir docs/enonce.md)."
        )
    return ""
