"""Which procedures a portfolio covers: :class:`Procedure` and the TOML batch configuration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._core.validation import fail
from ..errors import ParameterError
from ..log import EventLog

__all__ = ["Procedure", "load_config"]


_READ_KEYS = ("format", "sep", "encoding", "dayfirst", "tz", "attributes", "sheet", "strict", "pair_lifecycle")
_ROLE_KEYS = ("case", "activity", "timestamp", "start_timestamp", "resource", "org", "lifecycle")
_PROC_KEYS = ("name", "directorate", "log", "columns", "required", "rule", "rules", *_READ_KEYS)
_TOP_KEYS = ("language", "min_cases", "title", "allow_outside", "procedure")


@dataclass
class Procedure:
    """One procedure of the portfolio: a name, its directorate and where its log comes from.

    ``rules``: its legal time limits (:class:`procmine.TimeLimit`), for the report's section
    "Time limits" and the portfolio's ranking by breach share.
    """

    name: str
    log: EventLog | Path
    directorate: str = ""
    read_options: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    rules: tuple[Any, ...] = ()

    def load(self) -> EventLog:
        if isinstance(self.log, EventLog):
            return self.log
        from ..io import read_log

        return read_log(self.log, **self.read_options)


def _toml() -> Any:
    import tomllib

    return tomllib


def _unknown(keys: Any, known: tuple[str, ...], where: str) -> None:
    bad = sorted(str(k) for k in set(keys) - set(known))
    if bad:
        raise ParameterError(f"{where}: unknown key(s) {bad}; the keys are {list(known)} (see docs/portfolio.md)")


def load_config(path: str | Path) -> tuple[list[Procedure], dict[str, Any]]:
    """Read a portfolio configuration (TOML); the format is described in ``docs/portfolio.md``.

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
        rules = "fristen.toml"             # time limits: a [[rule]] file, relative to this file

        [[procedure.rule]]                 # or here, as in that file (docs/time-limits.md)
        name = "Entscheid"
        start = "Gesuch eingereicht"
        end = "Bauentscheid"
        limit = 3
        unit = "months"

    A log must lie in the configuration's folder or below it (after resolving ``..`` and
    symbolic links), so a configuration received from elsewhere cannot make procmine read
    and publish any file of the machine; ``allow_outside = true`` at the top lifts the rule.
    Unknown keys are errors (a misspelt option would otherwise be ignored silently).

    Returns the procedures and the top-level options (``language``, ``min_cases``, ``title``).

    Raises
    ------
    ParameterError
        The file is not valid TOML, a key is unknown or has the wrong type, or a log lies
        outside the folder; the message names the procedure.
    """
    path = Path(path)
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParameterError(f"{path}: no such portfolio configuration file") from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: not a UTF-8 text file, so not a TOML configuration") from exc
    except OSError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError and friends
        raise ParameterError(f"{path}: not a valid TOML file: {exc}") from exc
    _unknown(data, _TOP_KEYS, str(path))
    allow_outside = data.get("allow_outside", False)
    if not isinstance(allow_outside, bool):
        raise ParameterError(f"{path}: 'allow_outside' must be true or false")
    if "min_cases" in data and (isinstance(data["min_cases"], bool) or not isinstance(data["min_cases"], int)
                                or data["min_cases"] < 1):
        raise ParameterError(f"{path}: 'min_cases' must be a whole number >= 1, like min_cases = 10")
    for key in ("language", "title"):
        if key in data and not isinstance(data[key], str):
            raise ParameterError(f'{path}: \'{key}\' must be a text in quotes, like {key} = "de"')
    items = data.get("procedure")
    if not isinstance(items, list) or not items:
        raise ParameterError(
            f"{path}: the configuration lists no [[procedure]] (each with name, directorate, log)"
        )
    base = path.parent.resolve()
    procs = []
    for i, item in enumerate(items, start=1):
        where = f"{path}: [[procedure]] number {i}"
        if not isinstance(item, dict) or not isinstance(item.get("log"), str) or not item["log"].strip():
            raise ParameterError(f"{where} has no 'log = \"path/to/log\"' entry")
        if "name" in item:
            where += f" ({item['name']!r})"
        _unknown(item, _PROC_KEYS, where)
        for key in ("name", "directorate"):
            if key in item and not isinstance(item[key], str):
                raise ParameterError(f"{where}: '{key}' must be a text in quotes")
        log_path = Path(item["log"])
        if not log_path.is_absolute():
            log_path = path.parent / log_path
        log_path = log_path.resolve()  # '..' and symbolic links, before the check
        if not allow_outside and not log_path.is_relative_to(base):
            raise ParameterError(
                f"{where}: the log {item['log']!r} lies outside the configuration's folder {base}; "
                "move it into that folder, or set allow_outside = true at the top of the configuration"
            )
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
        if not isinstance(required, list):
            raise ParameterError(f'{where}: \'required\' must be a list like ["Publikation im Amtsblatt"]')
        procs.append(
            Procedure(
                name=str(item.get("name") or log_path.name.split(".")[0]),
                log=log_path,
                directorate=str(item.get("directorate", "")),
                read_options=opts,
                required=tuple(str(r) for r in required),
                rules=_rules(item, path, base, allow_outside, where),
            )
        )
    options = {k: data[k] for k in ("language", "min_cases", "title") if k in data}
    return procs, options


def _rules(item: dict[str, Any], path: Path, base: Path, allow_outside: bool, where: str) -> tuple[Any, ...]:
    """The time limits of one ``[[procedure]]``: a ``rules = "file.toml"`` and/or ``[[procedure.rule]]`` tables."""
    from ..errors import LogError
    from ..limits import _as_rules, load_rules

    out: list[Any] = []
    if "rules" in item:
        if not isinstance(item["rules"], str) or not item["rules"].strip():
            raise ParameterError(f'{where}: \'rules\' must be the path of a rules file in quotes, like rules = "fristen.toml"')
        rp = Path(item["rules"])
        rp = (rp if rp.is_absolute() else path.parent / rp).resolve()
        if not allow_outside and not rp.is_relative_to(base):
            raise ParameterError(
                f"{where}: the rules file {item['rules']!r} lies outside the configuration's folder {base}; "
                "move it into that folder, or set allow_outside = true at the top of the configuration"
            )
        if not rp.is_file():
            raise ParameterError(f"{where}: the rules file {item['rules']!r} was not found (looked for {rp})")
        try:
            out += load_rules(rp)
        except LogError as exc:
            raise ParameterError(f"{where}: {exc}") from None
    if "rule" in item:
        tables = item["rule"]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ParameterError(f"{where}: time limits are [[procedure.rule]] tables (see docs/time-limits.md)")
        try:
            out += _as_rules(tables)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {str(exc).removeprefix('time_limits: ')}") from None
    if out:
        try:
            _as_rules(out)  # one name per rule across the file and the tables
        except ParameterError as exc:
            raise ParameterError(f"{where}: {str(exc).removeprefix('time_limits: ')}") from None
    return tuple(out)


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
