"""Orbital references computed in a background thread, so that the page that asked stays responsive.

A :class:`ReferenceJobs` registry runs :func:`~.orbitals.cached_reference` on a worker thread
(PySCF releases the GIL in its numerical kernels) and keeps one :class:`ReferenceJob` per
reference key (geometry and method): asking twice for the same reference returns the same
job, and a job that failed can be asked for again.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .orbitals import DEFAULT_METHOD, OrbitalReference, cached_reference, check_reference_input, reference_key

if TYPE_CHECKING:  # pragma: no cover
    from ..structure import Structure

__all__ = ["ReferenceJob", "ReferenceJobs"]


@dataclass
class ReferenceJob:
    """One background calculation; ``cycle`` and ``energy_ha`` follow the SCF as it runs."""

    key: str
    basis: str
    future: Future | None = None  # set by ReferenceJobs.submit before anyone sees the job
    started: float = field(default_factory=time.monotonic)
    cycle: int = 0
    energy_ha: float | None = None
    finished: float | None = None

    @property
    def state(self) -> str:
        """``'running'``, ``'done'`` or ``'failed'``."""
        if not self.future.done():
            return "running"
        return "failed" if self.future.exception() is not None else "done"

    @property
    def seconds(self) -> float:
        """Time since the job started, or its duration once finished."""
        return (self.finished or time.monotonic()) - self.started

    def result(self) -> OrbitalReference | None:
        """The reference once done, else ``None``."""
        return self.future.result() if self.state == "done" else None

    def error(self) -> BaseException | None:
        """What made the job fail, else ``None``."""
        return self.future.exception() if self.future.done() else None

    def describe(self) -> str:
        """One sentence on where the calculation is."""
        if self.state == "running":
            where = (f"SCF cycle {self.cycle}, E = {self.energy_ha:.6f} Ha" if self.cycle
                     else "building the molecule and the integrals")
            return f"B3LYP/{self.basis} running in the background: {where} ({self.seconds:.0f} s)."
        return f"B3LYP/{self.basis} {self.state} after {self.seconds:.0f} s."


class ReferenceJobs:
    """A registry of background reference calculations, run ``workers`` at a time."""

    def __init__(self, workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scann-reference")
        self._jobs: dict[str, ReferenceJob] = {}
        self._lock = threading.Lock()

    def key(self, structure: "Structure", basis: str = DEFAULT_METHOD["basis"]) -> str:
        """The registry key: the cache key of the reference (geometry and method)."""
        return reference_key(structure, basis=basis)

    def get(self, structure: "Structure", basis: str = DEFAULT_METHOD["basis"]) -> ReferenceJob | None:
        """The job for this structure and basis, if one was submitted."""
        with self._lock:
            return self._jobs.get(self.key(structure, basis))

    def submit(self, structure: "Structure", basis: str = DEFAULT_METHOD["basis"], max_atoms: int = 30,
               **method) -> ReferenceJob:
        """Start (or return the running or finished) calculation of the reference.

        The input is checked first, so a molecule the calculation cannot do raises
        :class:`~.orbitals.OrbitalReferenceError` here rather than failing in the background.
        ``method`` takes the other keyword arguments of :func:`~.orbitals.compute_orbital_reference`.
        """
        check_reference_input(structure, basis=basis, max_atoms=max_atoms)
        key = self.key(structure, basis)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                return job
            job = ReferenceJob(key=key, basis=basis)

            def progress(cycle: int, energy: float) -> None:
                job.cycle, job.energy_ha = cycle, energy

            def run() -> OrbitalReference:
                try:
                    return cached_reference(structure, basis=basis, max_atoms=max_atoms, progress=progress, **method)
                finally:
                    job.finished = time.monotonic()

            job.future = self._pool.submit(run)
            self._jobs[key] = job
        return job
