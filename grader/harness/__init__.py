"""The harness: running the student's programs safely and talking to them, for the checks.

Every failure caused by the student's program is a `CheckFailure` with a French message.
"""

from . import timing
from .client_session import ClientSession
from .connection import LineConnection, ScriptedClient, ScriptedServer
from .errors import CheckFailure, fail
from .matching import Relay, contains_message, diagnose_relay, is_relay, parse_relay
from .output import OutputStream
from .process import StudentProcess, kill_surviving_processes, surviving_processes
from .room import ChatRoom
from .scope import CheckScope
from .student import RunningServer, check_compiles, start_client, start_server
from .workspace import SubmissionError, Workspace

__all__ = [
    "ChatRoom",
    "CheckFailure",
    "CheckScope",
    "ClientSession",
    "LineConnection",
    "OutputStream",
    "Relay",
    "RunningServer",
    "ScriptedClient",
    "ScriptedServer",
    "StudentProcess",
    "SubmissionError",
    "Workspace",
    "check_compiles",
    "contains_message",
    "diagnose_relay",
    "fail",
    "is_relay",
    "kill_surviving_processes",
    "parse_relay",
    "start_client",
    "start_server",
    "surviving_processes",
    "timing",
]
