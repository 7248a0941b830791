"""Machinery of the resumable dataset generators in ``scripts/`` (``generate_*.py``).

* a results log: an append-only JSON-lines file, one finished job a line, flushed and synced
  as it is written (:func:`open_log`, :func:`append_record`) and read back, settings checked
  and a half-written last line ignored (:func:`read_log`);
* :func:`pool_results`: the jobs run in this process or in a pool of worker processes;
* :func:`write_extxyz_gz`: a reproducible gzipped extended XYZ file;
* the command-line options and datasheet helpers the generators share.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import io
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

__all__ = ["append_record", "argument_parser", "markdown_table", "open_log", "output_path", "package_version",
           "pool_results", "quiet_torch", "read_log", "write_extxyz_gz", "write_lines"]


# ----------------------------------------------------------------------------- results log

def read_log(path: Path, key: str, match: dict[str, Any]) -> dict[str, dict]:
    """The records of the log at ``path`` whose fields equal those of ``match``, by ``record[key]``.

    Later records win; a line that is not JSON (the torn last line of a killed run) is ignored.
    """
    done: dict[str, dict] = {}
    if not path.exists():
        return done
    with path.open() as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if all(record.get(k) == v for k, v in match.items()):
                done[record[key]] = record
    return done


def open_log(path: Path):
    """The log at ``path`` opened for appending (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # a file that ends without a newline (killed mid-write) would glue the next record onto the torn line
    if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
        with path.open("a") as handle:
            handle.write("\n")
    return path.open("a")


def append_record(handle, record: dict) -> None:
    """Write ``record`` as one line and make it durable before the next job finishes."""
    handle.write(json.dumps(record) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


# ----------------------------------------------------------------------------- workers

@contextmanager
def pool_results(work: Callable, tasks: Sequence, workers: int, initializer: Callable | None = None,
                 initargs: tuple = ()) -> Iterator[Iterator]:
    """An iterator over ``work(task)`` for every task.

    With ``workers <= 1`` the tasks run here, in order, after ``initializer(*initargs)``; else in a
    pool of ``workers`` spawned processes (each initialised so), in the order they finish. The
    pool is terminated on leaving the ``with`` block. ``work`` and ``initializer`` must be
    importable (module-level) functions.
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield map(work, tasks)
        return
    import multiprocessing as mp

    pool = mp.get_context("spawn").Pool(workers, initializer=initializer, initargs=initargs)
    try:
        yield pool.imap_unordered(work, tasks, chunksize=1)
    finally:
        pool.terminate()
        pool.join()


def quiet_torch(threads: int = 1) -> None:
    """Limit torch to ``threads`` threads and silence warnings (CHGNet's are noisy)."""
    import warnings

    import torch

    torch.set_num_threads(max(1, threads))
    warnings.filterwarnings("ignore")


# ----------------------------------------------------------------------------- outputs

def write_extxyz_gz(frames: Iterable, path: Path) -> int:
    """Write ASE ``Atoms`` as gzipped extended XYZ (no timestamp or name in the gzip header, so
    the same frames give the same bytes); returns how many were written."""
    import ase.io

    buffer = io.StringIO()
    written = 0
    for atoms in frames:
        ase.io.write(buffer, atoms, format="extxyz")
        written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(buffer.getvalue().encode())
    return written


def package_version(package: str) -> str:
    """The installed version of ``package`` (for a datasheet), or ``'not installed'``."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def write_lines(path: Path, lines: list[str]) -> None:
    """Write ``lines`` (a datasheet) as a text file, folders made as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def markdown_table(header: list[str], rows: list[list]) -> list[str]:
    """The lines of a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]


# ----------------------------------------------------------------------------- command line

def argument_parser(doc: str, cache: Path, *, limit_help: str, workers_help: str,
                    output_help: str = "write the data file and datasheet here instead of assets/data and docs",
                    write_only_help: str = "only write the outputs from the cache") -> argparse.ArgumentParser:
    """A parser with the options every generator takes: ``--limit``, ``--workers``, ``--cache``
    (default ``cache``), ``--output-dir`` and ``--write-only``; the description is the first
    paragraph of ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help=limit_help)
    parser.add_argument("--workers", type=int, default=1, help=workers_help)
    parser.add_argument("--cache", type=Path, default=cache, help="results cache folder")
    parser.add_argument("--output-dir", type=Path, default=None, help=output_help)
    parser.add_argument("--write-only", action="store_true", help=write_only_help)
    return parser


def output_path(output_dir: Path | None, default: Path) -> Path:
    """``default``, or the file of that name in ``output_dir`` when one is given."""
    return output_dir / default.name if output_dir else default
