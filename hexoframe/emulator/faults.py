"""Fault injection for the emulator: errors, rate limits, latency, broken bodies.

Each emulator draws faults from its own RNG seeded by :attr:`FaultConfig.seed`, so a
test sees the same sequence of faults every run (for the same order of requests).

Examples
--------
>>> cfg = FaultConfig(error_rate=1.0, retry_after=2)
>>> FaultInjector(cfg).draw("/api/v1/record/").status in (500, 503)
True
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaultConfig:
    """What can go wrong, and how often (rates are probabilities per request).

    Parameters
    ----------
    seed : int
        Seed of the fault RNG.
    error_rate : float
        Answer 500 or 503 (with ``Retry-After``) instead of the real answer.
    rate_limit_rate : float
        Answer 429 with ``Retry-After``.
    retry_after : int
        Seconds sent in ``Retry-After``.
    latency : float
        Seconds added before every answer.
    drop_rate : float
        Send the headers (full ``Content-Length``) and part of the body, then reset the
        connection.
    truncate_rate : float
        Send the headers (full ``Content-Length``) and part of the body, then close the
        connection cleanly: the client sees a short read.
    subsample_cap : int, optional
        Largest number of points per datatype in JSON/CSV data answers (instead of 65535).
    path_pattern : str, optional
        Regular expression; faults apply only to request paths it matches (``re.search``).
    """

    seed: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    latency: float = 0.0
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    subsample_cap: int | None = None
    path_pattern: str | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")
        if self.subsample_cap is not None and self.subsample_cap < 1:
            raise ValueError("subsample_cap must be at least 1")
        if self.path_pattern is not None:
            re.compile(self.path_pattern)


@dataclass(frozen=True)
class Fault:
    """The fault drawn for one request (``status`` 0 and ``transport`` None: none)."""

    status: int = 0
    retry_after: int | None = None
    latency: float = 0.0
    transport: str | None = None  # "drop" or "truncate"
    subsample_cap: int | None = None
    extra: dict = field(default_factory=dict)


NO_FAULT = Fault()


class FaultInjector:
    """Draws a :class:`Fault` per request from a seeded RNG (thread-safe).

    Parameters
    ----------
    config : FaultConfig, optional
        ``None`` disables every fault.
    """

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self.configure(config)

    @property
    def counts(self) -> dict[str, int]:
        """Faults injected since the last :meth:`configure`, by kind (``"500"``, ``"503"``,
        ``"429"``, ``"drop"``, ``"truncate"``, ``"latency"``)."""
        with self._lock:
            return dict(self._counts)

    def _count(self, kind: str) -> None:
        self._counts[kind] = self._counts.get(kind, 0) + 1

    def configure(self, config: FaultConfig | None) -> None:
        """Replace the configuration and reseed the RNG."""
        with self._lock:
            self.config = config
            self._counts = {}
            self._rng = random.Random(config.seed if config else 0)
            self._pattern = (
                re.compile(config.path_pattern) if config and config.path_pattern else None
            )

    def draw(self, path: str) -> Fault:
        """The fault for a request to *path*."""
        cfg = self.config
        if cfg is None or (self._pattern is not None and not self._pattern.search(path)):
            return NO_FAULT
        with self._lock:
            rng = self._rng
            status = 0
            retry = None
            if cfg.error_rate and rng.random() < cfg.error_rate:
                status = rng.choice((500, 503))
                retry = cfg.retry_after
            elif cfg.rate_limit_rate and rng.random() < cfg.rate_limit_rate:
                status, retry = 429, cfg.retry_after
            transport = None
            if not status:
                if cfg.drop_rate and rng.random() < cfg.drop_rate:
                    transport = "drop"
                elif cfg.truncate_rate and rng.random() < cfg.truncate_rate:
                    transport = "truncate"
            for kind, happened in (
                (str(status), status),
                (transport or "", transport),
                ("latency", cfg.latency > 0),
            ):
                if happened:
                    self._count(kind)
        return Fault(
            status=status,
            retry_after=retry,
            latency=cfg.latency,
            transport=transport,
            subsample_cap=cfg.subsample_cap,
        )
