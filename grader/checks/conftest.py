"""Fixtures of the checks: the submission, the scope of each check, a running student server or client.

Everything a check starts is tracked by its scope, which kills it at teardown even when the check fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.checks import spec_of
from grader.harness.client_session import ClientSession
from grader.harness.room import ChatRoom, ServerTrackRecord
from grader.harness.scope import CheckScope
from grader.harness.student import start_server
from grader.harness.workspace import Workspace
from grader.session import STASH_KEY, GradingSession


@pytest.fixture(scope="session")
def grading(pytestconfig: pytest.Config) -> GradingSession:
    return pytestconfig.stash[STASH_KEY]


@pytest.fixture(scope="session")
def workspace(grading: GradingSession) -> Iterator[Workspace]:
    snapshot = Workspace(grading.submission)
    yield snapshot
    for finishing in grading.finishing:  # their programs run in this folder until their last step ends
        finishing.late_end()
    snapshot.cleanup()


@pytest.fixture(autouse=True)
def scope(grading: GradingSession) -> Iterator[CheckScope]:
    current = CheckScope(verbose=grading.verbose)
    yield current
    current.close()
    if current.finishing():
        grading.finishing.append(current)


@pytest.fixture(scope="session")
def track_record() -> ServerTrackRecord:
    """What the student's server has shown in earlier checks (waits it proved useless are shortened)."""
    return ServerTrackRecord()


# The room checks whose scenario does not hang on relays: S02 only joins, S03 judges relaying itself, and
# B04 only needs Bob's connection closed.
WITHOUT_RELAYS = frozenset({"S02", "S03", "B04"})
NEVER_RELAYED = (
    "Ignorée : le serveur n'a encore relayé aucun message d'un client à un autre (voir S03), alors que "
    "ce scénario en est fait."
)
UNTERMINATED = (
    "Ignorée : les messages relayés par ce serveur arrivent sans fin de ligne (voir S03), alors que ce "
    "scénario lit des lignes."
)


@pytest.fixture
def room(
    request: pytest.FixtureRequest, workspace: Workspace, scope: CheckScope, track_record: ServerTrackRecord
) -> ChatRoom:
    """A chat room on a freshly started student server. Once this server has shown that it does not relay
    a message from a client to another (a whole deadline, or the server at rest, without a crash), or
    relays them only without end of line, a scenario made of messages is ignored: each of them would
    only fail again, for a verdict S03 already gave."""
    spec = spec_of(request.node)
    if spec is not None and spec.id not in WITHOUT_RELAYS and track_record.relays is not True:
        if track_record.relays is False:
            pytest.skip(NEVER_RELAYED)
        if track_record.unterminated:
            pytest.skip(UNTERMINATED)
    return scope.track(ChatRoom(start_server(workspace), track_record))


@pytest.fixture
def client_session(workspace: Workspace, scope: CheckScope) -> ClientSession:
    """The student's client, started against the grader's scripted server."""
    return scope.track(ClientSession.start(workspace))
