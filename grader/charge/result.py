"""The figures of one load run of one submission, and their JSON form (French keys)."""

from __future__ import annotations

from dataclasses import dataclass

from grader.charge.generator import GeneratorResult
from grader.charge.latency import exact_percentile
from grader.formats import french_number

P99_LIMIT_MS = 1000.0  # above this, the room is too slow to chat: the ramp calls it degraded


@dataclass
class LoadResult:
    submission: str
    run: GeneratorResult | None = None  # None when the server could not be started
    failure: str | None = None  # French: why nothing could be measured
    server_cpu_s: float | None = None
    server_peak_bytes: int | None = None
    server_exit: int | None = None  # the server ended by itself during the run (exit code)
    server_traceback: str = ""

    @property
    def errors(self) -> int:
        """Error events: failed connections, disconnections, ... and the server stopping by itself."""
        if self.run is None:
            return 1
        return sum(self.run.errors.values()) + (self.server_exit is not None)

    @property
    def lost(self) -> int:
        return self.run.lost if self.run else 0

    @property
    def throughput(self) -> float:
        """Relayed lines received per second, from the first send to the last line received."""
        return self.run.received / self.run.measure_s if self.run and self.run.received else 0.0

    @property
    def p99_ms(self) -> float:
        """The 99th percentile of the relay latency (0 when nothing was measured)."""
        return self.run.latency.summary_ms()["p99"] if self.run else 0.0

    def error_details(self) -> dict[str, int]:
        """French message -> how many times, the server stopping by itself included."""
        details = dict(self.run.errors) if self.run else {}
        if self.server_exit is not None:
            details[f"le serveur s'est arrêté (code {self.server_exit})"] = 1
        return details

    def degradation(self) -> str | None:
        """Why this run shows the server overwhelmed (French), or None when it held."""
        if self.run is None:
            return self.failure or "aucune mesure"
        reasons = []
        if self.lost:
            reasons.append(f"{self.lost} lignes perdues")
        if self.errors:
            reasons.append(f"{self.errors} erreurs")
        p99 = self.p99_ms
        if p99 > P99_LIMIT_MS:
            reasons.append(f"p99 = {french_number(round(p99 / 1000, 1))} s")
        return ", ".join(reasons) or None

    def to_dict(self) -> dict:
        if self.run is None:
            return {"soumission": self.submission, "echec": self.failure}
        run, config = self.run, self.run.config
        expected = run.expected
        return {
            "soumission": self.submission,
            "clients": config.clients,
            "messages": config.messages,
            "mode": f"débit imposé ({config.rate:g} msg/s par client)" if config.rate else "boucle fermée",
            "debit_impose_msg_s": config.rate,
            "attente_max_s": config.wait_s,
            "duree_max_s": config.max_s,
            "taille_octets": config.size,
            "attendus": expected,
            "recus": run.received,
            "pertes": run.lost,
            "pertes_pct": round(100 * run.lost / expected, 3) if expected else 0.0,
            "doublons": run.duplicates,
            "echos": run.echoes,
            "autres_lignes": run.other_lines,
            "envoyes": run.sent,
            "envoyes_prevus": config.clients * config.messages,
            "interrompu": run.interrupted,
            "debit_lignes_s": round(self.throughput, 1),
            "latence_ms": run.latency.summary_ms(),
            "connexion_ms": {
                "p50": round(exact_percentile(run.connect_ms, 50), 2),
                "max": round(max(run.connect_ms, default=0.0), 2),
            },
            "inscription_s": round(run.join_s, 3),
            "inscriptions_non_confirmees": run.unconfirmed,
            "erreurs": self.errors,
            "erreurs_detail": self.error_details(),
            "deconnexions": run.disconnections,
            "duree_mesure_s": round(run.measure_s, 3),
            "generateur_cpu_pct": round(run.generator_cpu_pct, 1),
            "client_bloque": run.blocked_reader_fate,
            "serveur": {
                "cpu_s": None if self.server_cpu_s is None else round(self.server_cpu_s, 2),
                "memoire_max_mo": None if self.server_peak_bytes is None else round(self.server_peak_bytes / 2**20, 1),
                "arret": self.server_exit,
                "trace": self.server_traceback,
            },
        }
