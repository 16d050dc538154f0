"""Every deadline of the harness in one place, in seconds.

Each wait of the harness is event-driven (a condition, an event) and bounded by one of these values;
none of them is a sleep.
"""

START = 5.0  # the student's server must accept a TCP connection within this
READY_ATTEMPT = 0.25  # one readiness connect attempt (a full backlog makes a connect hang)
READY_RETRY = 0.005  # between two refused readiness attempts: a wait on the process's exit event
START_PROBE = 0.2  # Linux: between two looks in /proc at a server that does not accept yet
START_GRACE = 0.5  # ...which fails it at once when it stays this long listening elsewhere or reading stdin
CONNECT = 3.0  # a scripted client's TCP connect
SEND = 3.0  # a scripted client's sendall (a peer that never reads fills the buffers)
JOIN = 3.0  # evidence that the server took a name (console line or line at another client)
JOIN_FALLBACK = 0.5  # the same, once this server has shown it never gives such evidence
RELAY = 3.0  # a message reaching its recipients (or the server's console)
RELAY_FALLBACK = 0.5  # the same, once this server let a RELAY deadline expire without ever relaying
EXIT = 3.0  # a program ending by itself (client after `exit`, server after its last client...)
ACCEPT = 5.0  # the student's client connecting to the scripted server
PROMPT = 3.0  # the student's client showing its name prompt
TYPE = 2.0  # one line written on a program's stdin (a program that never reads fills the pipe)
KILL = 3.0  # the process tree gone after SIGKILL / taskkill
DRAIN = 1.0  # stdout/stderr reaching end of file after the process ended (what it printed last)
ALIVE_PROBE = 0.02  # Linux: between two looks in /proc at a program that may be dying, or be at rest
SETTLE_PROBE = 0.005  # Linux: between two looks at a server finishing with a join it has shown (ChatRoom.join)
SETTLE = 1.0  # ...and at most this long (it orders the next step, never decides a verdict)
CLOSE = 2.0  # a reader or accept thread ending after its socket or pipe was closed
HOLD_FALLBACK = 0.5  # without /proc: a server writing to a client that reads nothing is held (a fill takes ms)
PAUSE = 1.0  # Linux: the program seen stopped after SIGSTOP, a connection seen by the kernel (it takes µs)
