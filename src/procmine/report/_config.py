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


def _unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    bad = sorted(str(k) for k in set(table) - set(known))
    if bad:
        more = f"; also unknown: {bad[1:]}" if len(bad) > 1 else ""
        raise fail(where, bad[0], f"one of the keys {list(known)} (see docs/portfolio.md){more}", table[bad[0]])


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
        outside the folder; the message names the key and the procedure.
    """
    path = Path(path)
    data = _read_toml(path)
    where = f"the portfolio configuration {path}"
    allow_outside = _check_top(data, where)
    items = data.get("procedure")
    if not isinstance(items, list) or not items:
        raise fail(where, "procedure", "a list of [[procedure]] tables, each with name, directorate and log", items)
    base = path.parent.resolve()
    procs = [_procedure(item, i, path, base, allow_outside) for i, item in enumerate(items, start=1)]
    options = {k: data[k] for k in ("language", "min_cases", "title") if k in data}
    return procs, options


def _read_toml(path: Path) -> dict[str, Any]:
    """The configuration file's TOML as a dict."""
    try:
        return _toml().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise fail("load_config", "path", "an existing portfolio configuration file", str(path)) from exc
    except UnicodeDecodeError as exc:
        raise fail("load_config", "path", "a UTF-8 text file (a TOML configuration)", str(path)) from exc
    except OSError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError and friends
        raise fail("load_config", "path", f"a valid TOML file ({exc})", str(path)) from exc


def _check_top(data: dict[str, Any], where: str) -> bool:
    """Check the top-level keys; returns ``allow_outside``."""
    _unknown(data, _TOP_KEYS, where)
    allow_outside = data.get("allow_outside", False)
    if not isinstance(allow_outside, bool):
        raise fail(where, "allow_outside", "true or false", allow_outside)
    min_cases = data.get("min_cases", 1)
    if isinstance(min_cases, bool) or not isinstance(min_cases, int) or min_cases < 1:
        raise fail(where, "min_cases", "a whole number >= 1, like min_cases = 10", min_cases)
    for key in ("language", "title"):
        if key in data and not isinstance(data[key], str):
            raise fail(where, key, f'a text in quotes, like {key} = "de"', data[key])
    return allow_outside


def _procedure(item: Any, i: int, path: Path, base: Path, allow_outside: bool) -> Procedure:
    """The ``i``-th ``[[procedure]]`` table of the configuration at ``path``."""
    where = f"[[procedure]] number {i} of {path}"
    if not isinstance(item, dict) or not isinstance(item.get("log"), str) or not item["log"].strip():
        got = item.get("log") if isinstance(item, dict) else item
        raise fail(where, "log", 'the path of the log in quotes, like log = "logs/permit.csv"', got)
    if "name" in item:
        where = f"[[procedure]] number {i} ({item['name']!r}) of {path}"
    _unknown(item, _PROC_KEYS, where)
    for key in ("name", "directorate"):
        if key in item and not isinstance(item[key], str):
            raise fail(where, key, "a text in quotes", item[key])
    log_path = _inside(item["log"], path, base, allow_outside, where, "log")
    columns = item.get("columns", {}) or {}
    if not isinstance(columns, dict):
        raise fail(where, "columns", 'a table like { case = "...", activity = "..." }', columns)
    bad = sorted(set(columns) - set(_ROLE_KEYS))
    if bad:
        raise fail(where, "columns", f"a table whose keys are column roles among {list(_ROLE_KEYS)}", bad)
    opts: dict[str, Any] = {k: str(v) for k, v in columns.items()}
    opts.update({k: item[k] for k in _READ_KEYS if k in item})
    required = item.get("required", [])
    if isinstance(required, str):
        required = [required]
    if not isinstance(required, list):
        raise fail(where, "required", 'a list like ["Publikation im Amtsblatt"]', required)
    return Procedure(
        name=str(item.get("name") or log_path.name.split(".")[0]),
        log=log_path,
        directorate=str(item.get("directorate", "")),
        read_options=opts,
        required=tuple(str(r) for r in required),
        rules=_rules(item, path, base, allow_outside, where),
    )


def _inside(given: str, path: Path, base: Path, allow_outside: bool, where: str, key: str) -> Path:
    """``given`` resolved against the configuration's folder (``..`` and symbolic links first),
    refused when it lies outside ``base`` unless ``allow_outside``."""
    p = Path(given)
    p = (p if p.is_absolute() else path.parent / p).resolve()
    if not allow_outside and not p.is_relative_to(base):
        raise fail(
            where, key,
            f"a file inside the configuration's folder {base}, not outside it (move it there, or set allow_outside = true "
            "at the top of the configuration)",
            given,
        )
    return p


def _rules(item: dict[str, Any], path: Path, base: Path, allow_outside: bool, where: str) -> tuple[Any, ...]:
    """The time limits of one ``[[procedure]]``: a ``rules = "file.toml"`` and/or ``[[procedure.rule]]`` tables."""
    from ..errors import LogError
    from ..limits import _as_rules, load_rules

    out: list[Any] = []
    if "rules" in item:
        if not isinstance(item["rules"], str) or not item["rules"].strip():
            raise fail(where, "rules", 'the path of a rules file in quotes, like rules = "fristen.toml"', item["rules"])
        rp = _inside(item["rules"], path, base, allow_outside, where, "rules")
        if not rp.is_file():
            raise fail(where, "rules", f"an existing rules file (looked for {rp})", item["rules"])
        try:
            out += load_rules(rp)
        except LogError as exc:
            raise fail(where, "rules", f"a valid rules file ({exc})", item["rules"]) from None
    if "rule" in item:
        tables = item["rule"]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise fail(where, "rule", "[[procedure.rule]] tables (see docs/time-limits.md)", tables)
        try:
            out += _as_rules(tables)
        except ParameterError as exc:
            raise fail(where, "rule", f"valid time limits ({_limits_text(exc)})", _rule_names(tables)) from None
    if out:
        try:
            _as_rules(out)  # one name per rule across the file and the tables
        except ParameterError as exc:
            raise fail(where, "rule", f"time limits with distinct names ({_limits_text(exc)})",
                       _rule_names(out)) from None
    return tuple(out)


def _limits_text(exc: ParameterError) -> str:
    """The message of :func:`procmine.time_limits`' error, without its function's name."""
    from ..limits import rule_problem

    return rule_problem(exc)


def _rule_names(rules: Iterable[Any]) -> list[Any]:
    return [r.get("name") if isinstance(r, dict) else getattr(r, "name", r) for r in rules]


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
