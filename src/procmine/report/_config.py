"""Which procedures a portfolio covers: :class:`Procedure` and the TOML batch configuration."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validation import fail
from ..errors import ParameterError, ProcmineError
from ..log import EventLog

__all__ = ["Procedure", "load_config"]


_READ_KEYS = ("format", "sep", "encoding", "dayfirst", "tz", "attributes")
_ROLE_KEYS = ("case", "activity", "timestamp", "start_timestamp", "resource", "org")


@dataclass
class Procedure:
    """One procedure of the portfolio: a name, its directorate and where its log comes from."""

    name: str
    log: EventLog | Path
    directorate: str = ""
    read_options: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def load(self) -> EventLog:
        if isinstance(self.log, EventLog):
            return self.log
        from ..io import read_log

        return read_log(self.log, **self.read_options)


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError as exc:  # pragma: no cover - Python 3.10 without tomli
        raise ProcmineError(
            "reading a TOML portfolio configuration on Python 3.10 needs 'pip install tomli'"
        ) from exc
    return tomli


def load_config(path: str | Path) -> tuple[list[Procedure], dict[str, Any]]:
    """Read a portfolio configuration (TOML).

    Example::

        language = "fr"
        min_cases = 10

        [[procedure]]
        name = "Baubewilligung"
        directorate = "BVD"
        log = "logs/permit.csv"            # relative to this file
        columns = { case = "Dossier", activity = "Tätigkeit", timestamp = "Zeitpunkt" }
        required = ["Publikation im Amtsblatt"]
        sep = ";"                          # any read_log option

    Returns the procedures and the top-level options (``language``, ``min_cases``, ``title``).
    """
    path = Path(path)
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParameterError(f"{path}: no such portfolio configuration file") from exc
    except Exception as exc:  # tomllib.TOMLDecodeError and friends
        raise ParameterError(f"{path}: not a valid TOML file: {exc}") from exc
    items = data.get("procedure")
    if not isinstance(items, list) or not items:
        raise ParameterError(
            f"{path}: the configuration lists no [[procedure]] (each with name, directorate, log)"
        )
    procs = []
    for i, item in enumerate(items, start=1):
        where = f"{path}: [[procedure]] number {i}"
        if not isinstance(item, dict) or "log" not in item:
            raise ParameterError(f"{where} has no 'log = \"path/to/log\"' entry")
        log_path = Path(str(item["log"]))
        if not log_path.is_absolute():
            log_path = path.parent / log_path
        opts: dict[str, Any] = {}
        columns = item.get("columns", {}) or {}
        if not isinstance(columns, dict):
            raise ParameterError(
                f'{where}: \'columns\' must be a table like {{ case = "...", activity = "..." }}'
            )
        bad = sorted(set(columns) - set(_ROLE_KEYS))
        if bad:
            raise ParameterError(f"{where}: unknown column role(s) {bad}; use {list(_ROLE_KEYS)}")
        opts.update({k: str(v) for k, v in columns.items()})
        opts.update({k: item[k] for k in _READ_KEYS if k in item})
        required = item.get("required", [])
        if isinstance(required, str):
            required = [required]
        procs.append(
            Procedure(
                name=str(item.get("name") or log_path.name.split(".")[0]),
                log=log_path,
                directorate=str(item.get("directorate", "")),
                read_options=opts,
                required=tuple(str(r) for r in required),
            )
        )
    options = {k: data[k] for k in ("language", "min_cases", "title") if k in data}
    return procs, options


def _procedures(logs: Any) -> list[Procedure]:
    if logs is None:
        return []
    if isinstance(logs, (EventLog, str, Path)):
        logs = [logs]
    if isinstance(logs, Mapping):
        items = list(logs.items())
    elif isinstance(logs, Iterable):
        items = [(None, x) for x in logs]
    else:
        raise fail(
            "portfolio",
            "logs_or_paths",
            "a list of EventLogs or paths, or a dict name -> log",
            type(logs).__name__,
        )
    out = []
    for name, x in items:
        if isinstance(x, Procedure):
            out.append(x)
        elif isinstance(x, EventLog):
            out.append(Procedure(name=str(name or x.name), log=x))
        elif isinstance(x, (str, Path)):
            p = Path(x)
            out.append(Procedure(name=str(name or p.name.split(".")[0]), log=p))
        else:
            raise fail("portfolio", "logs_or_paths", "EventLogs or paths", type(x).__name__)
    return out
