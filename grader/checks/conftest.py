"""Fixtures of the checks: the submission, the scene of each check, a running student server or client.

Everything a check starts is tracked by its scene, which kills it at teardown even when the check fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.harness.client_session import ClientSession
from grader.harness.room import ChatRoom, ServerMemory
from grader.harness.scene import Scene
from grader.harness.student import start_server
from grader.harness.workspace import Workspace
from grader.plugin import STASH_KEY, GradingSession


@pytest.fixture(scope="session")
def grading(pytestconfig: pytest.Config) -> GradingSession:
    return pytestconfig.stash[STASH_KEY]


@pytest.fixture(scope="session")
def workspace(grading: GradingSession) -> Iterator[Workspace]:
    snapshot = Workspace(grading.submission)
    yield snapshot
    snapshot.cleanup()


@pytest.fixture(autouse=True)
def scene(grading: GradingSession) -> Iterator[Scene]:
    current = Scene(verbose=grading.verbose)
    yield current
    current.close()


@pytest.fixture(scope="session")
def server_memory() -> ServerMemory:
    """What the student's server has shown in earlier checks (waits it proved useless are shortened)."""
    return ServerMemory()


@pytest.fixture
def room(workspace: Workspace, scene: Scene, server_memory: ServerMemory) -> ChatRoom:
    """A chat room on a freshly started student server."""
    return scene.track(ChatRoom(start_server(workspace), server_memory))


@pytest.fixture
def client_session(workspace: Workspace, scene: Scene) -> ClientSession:
    """The student's client, started against the grader's scripted server."""
    return scene.track(ClientSession.start(workspace))
