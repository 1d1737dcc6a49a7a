"""The applicant's view: how often a case contacts the applicant, how often the applicant
is asked again, and whose waiting the lead time is.

:func:`client_view` finds the *contact steps* of a log, the steps in which the office and
the applicant (or the person concerned: an offender, a subsidy recipient) deal with each
other, one kind each:

``request``
    the office asks the applicant for documents, information or a correction
    (:func:`procmine.waits._steps.classify_steps`' ``request`` flag, or a change request:
    *Projektänderung verlangt*, *modification demandée*, *correction requested*...);
``payment``
    money changes hands or is asked for (*Rechnung*, *Gebühr*, *Kostenvorschuss*,
    *facture*, *émolument*, *versement*, *fattura*, *invoice*, *fee*, *payment*...);
    an *order* to pay (*Zahlungsauftrag*, *ordre de paiement*) is internal;
``hearing``
    the applicant is heard (*Anhörung*, *rechtliches Gehör*, *audition*, *audizione*, *hearing*);
``notice``
    the office sends the applicant something: a decision, a confirmation, a fine
    (*Entscheid versenden*, *Verfügung eröffnet*, *décision notifiée*, *accusé de réception*,
    *decisione notificata*, *send fine*, *notification*...); a step that only checks such a
    letter (*check confirmation of receipt*) is not a contact;
``inbound``
    the applicant does something: submits, sends documents, appeals (classify_steps'
    ``external`` flag from the name, or a step without staff that answers a request).

A step that names another addressee (*Rückfrage an Amt für Umwelt*, *send appeal to
prefecture*, *result received from prefecture*) is not a contact with the applicant. The
``contact_steps`` frame lists every contact step with its kind and why, so that the
analyst can correct it with ``contact_steps=[...]`` (or ``{activity: kind}``).

**Asked again**: a ``request`` contact after the case's first event, except the first
occurrence of a *routine* request (a step in at least 90 % of the cases: part of every
procedure, like a fee or a decision, not a sign that something was missing).

**Waiting** follows :mod:`procmine.waits._causes`: every wait is the applicant's
(``client``: after a request, before an inbound step), the administration's (``office``
and ``batch``) or a legal period's (``statutory``); in working time under ``calendar``,
converted to working days of its :attr:`~procmine.Calendar.day_hours`. The shares are
pooled: total client waiting over total lead time, so that "X of the Z working days" in
:meth:`ClientView.headline` is the mean client wait of the mean lead time.

Examples
--------
>>> import procmine as pm
>>> cv = pm.client_view(pm.samples.load("permit_de"))
>>> sorted(cv.contact_steps["kind"].unique())
['inbound', 'notice', 'request']
>>> 0 < cv.summary()["asked_again_share"] < 0.5
True
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._core.event_times import event_times
from .._core.kernels import NAT
from .._core.validation import check_positive_int, fail
from .._results import Result, new_axes
from ..calendar import Calendar
from ..i18n import (
    calendar_note,
    check_language,
    format_integer,
    format_message,
    format_number,
    format_percent,
    gettext,
)
from ..log import CASE, GROUP, RESOURCE, EventLog
from ..waits._causes import CLIENT, OFFICE, wait_causes
from ._contacts import KINDS, declared, detect

__all__ = ["KINDS", "ClientView", "client_view"]

REQUEST, NOTICE, PAYMENT, HEARING, INBOUND = range(5)
_ROUTINE = 0.9  # a request in at least this share of cases is part of the procedure
_US_PER_HOUR = 3_600_000_000


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an int64 array (a plain sort: faster than np.unique's hashing here)."""
    k = np.sort(keys, kind="stable")
    return k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k


#: events per block of whole cases in :func:`client_view`: the per-event temporaries of
#: one block stay small (tens of MB) however long the log is
_BLOCK = 1 << 20


def _blocks(case_offsets: np.ndarray, size: int | None = None) -> list[tuple[int, int]]:
    """``(first, end)`` event positions of consecutive blocks of whole cases, about ``size``
    (default :data:`_BLOCK`) events each."""
    size = size or _BLOCK
    n = int(case_offsets[-1]) if len(case_offsets) else 0
    if n == 0:
        return []
    cuts = np.unique(case_offsets[np.searchsorted(case_offsets, np.arange(size, n, size))])
    bounds = [0, *(int(x) for x in cuts if 0 < x < n), n]
    return list(itertools.pairwise(bounds))


def _block(wc: Any, lo: int, hi: int) -> Any:
    """The wait causes of the events ``lo:hi`` (positions in the block)."""
    caps, by_prev = wc.caps, wc.by_prev
    if caps is not None and len(caps.idx):
        sel = (caps.idx >= lo) & (caps.idx < hi)
        caps = dataclasses.replace(caps, **{f.name: getattr(caps, f.name)[sel] for f in dataclasses.fields(caps)})
        caps = dataclasses.replace(caps, idx=caps.idx - lo)
    if by_prev is not None:
        by_prev = by_prev[(by_prev >= lo) & (by_prev < hi)] - lo
    return dataclasses.replace(wc, cause=wc.cause[lo:hi], caps=caps, by_prev=by_prev)


def _figure(x: float, language: str) -> str:
    """A figure of the headline: a whole number without decimals, else one decimal."""
    if x == x and float(x).is_integer():
        return format_integer(int(x), language)
    return format_number(x, language, 1)


def _days(us: Any, day_hours: float) -> Any:
    return np.asarray(us, dtype=np.float64) / (day_hours * _US_PER_HOUR)


@dataclass(eq=False, repr=False)
class ClientView(Result):
    """The applicant's view of a log (build it with :func:`client_view`).

    Attributes
    ----------
    contact_steps
        One row per contact step: ``activity``, ``kind``, ``why`` (in :attr:`language`),
        ``events``, ``case_share`` (share of cases with it) and ``routine`` (in at least 90 %
        of cases).
    cases
        One row per case (:meth:`to_frame`).
    language
        Language of the repr, the notebook view, the plot and (by default) the headline.
    """

    log_name: str
    contact_steps: pd.DataFrame
    cases: pd.DataFrame
    after: pd.DataFrame
    calendar: Calendar
    by: str | None = None
    min_cases: int = 10
    offices_basis: str = GROUP
    language: str = "en"
    _summary: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- frames and figures -----------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per case (index: case id): ``contacts`` and one count per kind,
        ``asked_again`` (times asked again), ``lead_time_days``, ``client_wait_days``,
        ``office_wait_days``, ``statutory_wait_days`` (working days), ``client_share``,
        ``office_share`` (of the case's lead time), ``offices`` and, with ``by``, ``group``."""
        return self.cases.copy()

    def summary(self) -> dict[str, Any]:
        """Key figures of all cases (see :func:`summarise`)."""
        if not self._summary:
            self._summary = summarise(self.cases)
        return dict(self._summary)

    def by_group(self) -> pd.DataFrame:
        """The summary per value of ``by`` (one row per group, most cases first); groups with
        fewer than ``min_cases`` cases are left out (``attrs["suppressed"]`` counts them)."""
        if self.by is None:
            raise fail("ClientView.by_group", "by", "a column given to client_view(by=...)", None)
        sizes = self.cases.groupby("group", dropna=True, sort=False).size()
        keep = sizes.index[sizes >= self.min_cases]
        rows = {g: summarise(self.cases[self.cases["group"] == g]) for g in keep}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        if len(frame):
            frame = frame.sort_values("cases", ascending=False, kind="stable")
        frame.index.name = self.by
        frame.attrs["suppressed"] = int((sizes < self.min_cases).sum())
        return frame

    def asked_again_after(self) -> pd.DataFrame:
        """The steps after which applicants are most often asked again: ``activity`` (the
        step before the request), ``request`` (the request step), ``times``, ``cases`` and
        ``case_share`` (of all cases), most cases first."""
        return self.after.copy()

    # -- text ----------------------------------------------------------------------------------
    def headline(self, language: str | None = None) -> str:
        """Figures a head of office can quote, as one paragraph in ``language`` (default: the
        result's :attr:`language`; the :meth:`sentences` joined); every number comes from
        :meth:`summary`.

        Examples
        --------
        >>> import procmine as pm
        >>> cv = pm.client_view(pm.samples.load("subsidy_fr"))
        >>> cv.headline("en").split(". ")[0]
        'A typical application needs 4 contacts with the applicant'
        >>> cv.headline("fr").split(". ")[0]
        'Une demande typique nécessite 4\xa0contacts avec le requérant'
        """
        return " ".join(self.sentences(language))

    def sentences(self, language: str | None = None) -> list[str]:
        """The sentences of :meth:`headline`, one figure each: contacts per case (median),
        share asked again, mean lead time with the waiting for the applicant and for the
        administration in it, and offices per case (median, with org units only)."""
        language = check_language(self.language if language is None else language, "ClientView.sentences")
        s = self.summary()

        def _(msgid: str, **kw: Any) -> str:
            return format_message(gettext(msgid, language), language, **kw)

        contacts = s["contacts_per_case_median"]
        parts = [
            _("A typical application needs {n} contact with the applicant.", n=_figure(contacts, language))
            if contacts == 1 else
            _("A typical application needs {n} contacts with the applicant.", n=_figure(contacts, language)),
            _("{share} of applicants are asked again for documents, information or corrections.",
              share=format_percent(s["asked_again_share"], language, 0)),
            _("An application takes {total} {unit} on average, of which {client} ({client_share}) waiting "
              "for the applicant and {office} ({office_share}) waiting for the administration.",
              total=format_number(s["lead_time_days_mean"], language, 1), unit=self._unit(language),
              client=format_number(s["client_wait_days_mean"], language, 1),
              client_share=format_percent(s["client_wait_share"], language, 0),
              office=format_number(s["office_wait_days_mean"], language, 1),
              office_share=format_percent(s["office_wait_share"], language, 0)),
        ]
        if s["offices_per_case_median"] == s["offices_per_case_median"] and self.offices_basis == GROUP:
            offices = s["offices_per_case_median"]
            parts.append(_("A typical application passes through {n} office.", n=_figure(offices, language))
                         if offices == 1 else
                         _("A typical application passes through {n} offices.", n=_figure(offices, language)))
        return parts

    def _unit(self, language: str) -> str:
        """The unit of the day figures: whose working days (calendar and length of its day)."""
        if self.calendar.is_elapsed:
            return gettext("days", language)
        return f"{gettext('working days', language)} ({calendar_note(self.calendar, language)})"

    def _repr_parts(self) -> tuple[str, list[str]]:
        s, lang = self.summary(), self.language

        def _(msgid: str, **kw: Any) -> str:
            return format_message(gettext(msgid, lang), lang, **kw)

        def pct(x: float) -> str:
            return "–" if x != x else format_percent(x, lang, 1)

        return repr(self.log_name), [
            _("{cases} cases, {steps} contact steps", cases=format_integer(s["cases"], lang),
              steps=format_integer(len(self.contact_steps), lang)),
            _("{contacts} contacts per case (median), {asked} asked again, {client} of the lead time waiting "
              "for the applicant", contacts="–" if s["cases"] == 0 else _figure(s["contacts_per_case_median"], lang),
              asked=pct(s["asked_again_share"]), client=pct(s["client_wait_share"])),
        ]

    def _html_notes(self) -> list[str]:
        return [self.headline()]

    def plot(self, ax: Any = None, *, language: str | None = None) -> Any:
        """Mean lead time in working days split into waiting for the applicant, for the
        administration, for legal periods, and the rest (processing); one bar per group
        with ``by``, else one bar; labels in ``language`` (default: the result's
        :attr:`language`). Returns the axes."""
        lang = check_language(self.language if language is None else language, "ClientView.plot")

        def _(msgid: str, **kw: Any) -> str:
            return format_message(gettext(msgid, lang), lang, **kw)

        ax = new_axes(ax, (8, 4))
        if self.by is not None:
            frame = self.by_group().head(15).iloc[::-1]
            labels = [str(g)[:30] for g in frame.index]
        else:
            frame = pd.DataFrame([self.summary()])
            labels = [self.log_name]
        client = frame["client_wait_days_mean"].to_numpy(dtype=float)
        office = frame["office_wait_days_mean"].to_numpy(dtype=float)
        statutory = frame["statutory_wait_days_mean"].to_numpy(dtype=float)
        rest = np.maximum(frame["lead_time_days_mean"].to_numpy(dtype=float) - client - office - statutory, 0)
        left = np.zeros(len(frame))
        # the report's colours: office waiting orange, the applicant's grey, legal periods green
        for values, label, colour in ((client, _("waiting for the applicant"), "#8a94a6"),
                                      (office, _("waiting for the administration"), "#d98c1f"),
                                      (statutory, _("legal periods"), "#2f855a"),
                                      (rest, _("processing and other time"), "#2b6cb0")):
            ax.barh(labels, values, left=left, color=colour, label=label)
            left = left + values
        ax.set_xlabel(_("mean lead time in {unit}", unit=self._unit(lang)))
        ax.set_title(_("Whose waiting the lead time is"))
        ax.legend(loc="lower right", fontsize="small")
        return ax


def summarise(cases: pd.DataFrame) -> dict[str, Any]:
    """Key figures of a per-case frame (:meth:`ClientView.to_frame`): ``cases``,
    ``contacts_per_case_median``/``_mean``, ``asked_again_share``, ``asked_again_mean``
    (times per case asked again), ``lead_time_days_median``/``_mean``,
    ``client_wait_days_mean``/``_median``, ``office_wait_days_mean``,
    ``statutory_wait_days_mean``, ``client_wait_share``, ``office_wait_share`` (pooled:
    total over total lead time) and ``offices_per_case_median``."""
    n = len(cases)
    if n == 0:
        nan = float("nan")
        keys = ("contacts_per_case_median", "contacts_per_case_mean", "asked_again_share", "asked_again_mean",
                "lead_time_days_median", "lead_time_days_mean", "client_wait_days_mean", "client_wait_days_median",
                "office_wait_days_mean", "statutory_wait_days_mean", "client_wait_share", "office_wait_share",
                "offices_per_case_median")
        return {"cases": 0, **{k: nan for k in keys}}
    lead = cases["lead_time_days"].to_numpy(dtype=float)
    total = float(np.nansum(lead))

    def share(col: str) -> float:
        return float(np.nansum(cases[col].to_numpy(dtype=float)) / total) if total > 0 else 0.0

    return {
        "cases": int(n),
        "contacts_per_case_median": float(cases["contacts"].median()),
        "contacts_per_case_mean": float(cases["contacts"].mean()),
        "asked_again_share": float((cases["asked_again"] > 0).mean()),
        "asked_again_mean": float(cases["asked_again"].mean()),
        "lead_time_days_median": float(np.nanmedian(lead)) if np.isfinite(lead).any() else float("nan"),
        "lead_time_days_mean": float(np.nanmean(lead)) if np.isfinite(lead).any() else float("nan"),
        "client_wait_days_mean": float(cases["client_wait_days"].mean()),
        "client_wait_days_median": float(cases["client_wait_days"].median()),
        "office_wait_days_mean": float(cases["office_wait_days"].mean()),
        "statutory_wait_days_mean": float(cases["statutory_wait_days"].mean()),
        "client_wait_share": share("client_wait_days"),
        "office_wait_share": share("office_wait_days"),
        "offices_per_case_median": float(cases["offices"].median()),
    }


def client_view(
    log: EventLog,
    *,
    contact_steps: Iterable[str] | Mapping[str, str] | None = None,
    by: str | None = None,
    calendar: Calendar | None = None,
    min_cases: int = 10,
    language: str = "en",
) -> ClientView:
    """The applicant's view: contacts, times asked again, whose waiting the lead time is.

    Parameters
    ----------
    log
        The event log.
    contact_steps
        The contact steps, replacing detection: a list of activities (kind as detected,
        else ``"notice"``) or ``{activity: kind}`` with kinds among :data:`KINDS`.
    by
        A column (canonical name or the header read from the file, e.g. ``"Gemeinde"``):
        :meth:`ClientView.by_group` gives the summary per value (a case's value is that of
        its first event).
    calendar
        Working time (default: ``Calendar()``, the Swiss office week); ``Calendar.always()``
        for elapsed days.
    min_cases
        Groups with fewer cases are left out of :meth:`ClientView.by_group`.
    language
        ``"de"``, ``"fr"`` or ``"en"``: the language of the ``why`` of
        :attr:`ClientView.contact_steps`, of the result's repr, plot and headline.

    Returns
    -------
    ClientView
        ``.summary()``, ``.to_frame()``, ``.contact_steps``, ``.asked_again_after()``,
        ``.by_group()``, ``.headline(language)``, ``.plot()``.

    Examples
    --------
    >>> import procmine as pm
    >>> cv = pm.client_view(pm.samples.load("permit_de"), by="Gemeinde")
    >>> cv.to_frame().shape[0] == 1000
    True
    >>> "Unterlagen nachfordern" in set(cv.contact_steps["activity"])
    True
    >>> len(cv.by_group()) > 1
    True
    """
    func = "client_view"
    if not isinstance(log, EventLog):
        raise fail(func, "log", "a procmine.EventLog (see procmine.read_log)", type(log).__name__)
    if calendar is not None and not isinstance(calendar, Calendar):
        raise fail(func, "calendar", "a procmine.Calendar or None", calendar)
    check_positive_int(func, "min_cases", min_cases)
    language = check_language(language, func)
    cal = Calendar() if calendar is None else calendar
    group_col = None
    if by is not None:
        group_col = log.column(by) if isinstance(by, str) else None
        if group_col is None:
            raise fail(func, "by", f"a column of the log ({', '.join(map(str, log.df.columns))})", by)

    c = log.codes
    wc = wait_causes(log)  # cached per log; its step classification serves the detection too
    detected = detect(log, wc.steps, language)
    table = detected if contact_steps is None else declared(log, contact_steps, detected, language)
    kind_of = np.array([KINDS.index(k) if k else -1 for k in table["kind"]], dtype=np.int8)
    blocks = _blocks(c.case_offsets)

    # per event: its contact kind; per activity: the share of cases with it
    kind = kind_of[c.activity] if len(c.activity) else np.zeros(0, dtype=np.int8)
    case_share = _case_share(c, blocks)
    routine = case_share >= _ROUTINE
    by_kind, again_idx = _contacts(c, kind, routine)
    wc = _client_causes(log, wc, table, kind)
    del kind
    client, office, statutory, lead = _waits_per_case(log, wc, cal, blocks)
    offices, basis = _offices_per_case(log, blocks)

    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame(
            {
                "contacts": by_kind.sum(axis=1),
                **{k: by_kind[:, i] for i, k in enumerate(KINDS)},
                "asked_again": np.bincount(c.case[again_idx], minlength=c.n_cases),
                "lead_time_days": lead,
                "client_wait_days": client,
                "office_wait_days": office,
                "statutory_wait_days": statutory,
                "client_share": np.where(lead > 0, client / lead, np.nan),
                "office_share": np.where(lead > 0, office / lead, np.nan),
                "offices": offices,
            },
            index=pd.Index(c.case_ids, name=CASE),
        )
    if group_col is not None:
        frame["group"] = log.df[group_col].iloc[c.case_offsets[:-1]].to_numpy()  # no object per event

    return ClientView(
        log_name=log.name,
        contact_steps=_step_table(c, table, case_share, routine),
        cases=frame,
        after=_asked_after(c, again_idx),
        calendar=cal,
        by=by if group_col is not None else None,
        min_cases=min_cases,
        offices_basis=basis,
        language=language,
    )


def _case_share(c: Any, blocks: list[tuple[int, int]]) -> np.ndarray:
    """Per activity: the share of cases with it (distinct (case, activity) pairs counted
    block by block of whole cases)."""
    n_act, act, case = c.n_activities, c.activity, c.case
    with_act = np.zeros(n_act, dtype=np.int64)
    for lo, hi in blocks:
        pair = _distinct(case[lo:hi].astype(np.int64) * n_act + act[lo:hi])
        with_act += np.bincount(pair % max(n_act, 1), minlength=n_act)
    return with_act / max(c.n_cases, 1)


def _contacts(c: Any, kind: np.ndarray, routine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contacts per case and kind (``n_cases`` x 5), and the events where the applicant
    is asked again: a request after the first event, beyond the first occurrence of a
    routine one."""
    act, case, n_cases = c.activity, c.case, c.n_cases
    # consecutive contact events of one kind are one contact: the office prepares, prints
    # and sends one letter in several recorded steps, the applicant receives one
    first = c.is_first
    is_contact = kind >= 0
    if len(act) > 1:
        is_contact[1:] &= first[1:] | (kind[1:] != kind[:-1])
    contact_idx = np.flatnonzero(is_contact)
    del is_contact
    by_kind = np.bincount(case[contact_idx].astype(np.int64) * 5 + kind[contact_idx],
                          minlength=5 * n_cases).reshape(n_cases, 5)
    idx = contact_idx[(kind[contact_idx] == REQUEST) & ~first[contact_idx]]
    occurrence = (pd.Series(np.zeros(len(idx))).groupby([case[idx], act[idx]]).cumcount().to_numpy()
                  if len(idx) else np.zeros(0, dtype=np.int64))
    return by_kind, idx[~routine[act[idx]] | (occurrence > 0)]


def _client_causes(log: EventLog, wc: Any, table: pd.DataFrame, kind: np.ndarray) -> Any:
    """The log's wait causes with the applicant's waits of the contact steps: the wait
    before a declared inbound step, and the wait right after a request contact."""
    inbound = [a for a, k in zip(table.index, table["kind"]) if k == "inbound"]
    if not wc.steps.loc[inbound, "external"].all():  # declared inbound steps: the wait before them is the applicant's
        wc = wait_causes(log, external=inbound)
    cause = wc.cause
    caps = wc.caps
    if len(kind) > 1:
        # the wait right after a request contact is the applicant's (as in _wait_causes,
        # which knows only classify_steps' requests, not change requests or declared ones)
        to_client = np.zeros(len(kind), dtype=bool)
        to_client[1:] = kind[:-1] == REQUEST
        to_client &= ~log.codes.is_first
        cause = np.where(to_client & (cause == OFFICE), CLIENT, cause)
        if caps is not None and len(caps.idx):
            # the time past a legal period follows the same rule
            rest = np.where(to_client[caps.idx] & (caps.rest == OFFICE), CLIENT, caps.rest).astype(caps.rest.dtype)
            caps = dataclasses.replace(caps, rest=rest)
    return dataclasses.replace(wc, cause=cause, caps=caps)


def _waits_per_case(
    log: EventLog, wc: Any, cal: Calendar, blocks: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per case, in working days: the applicant's, the office's and the statutory waiting,
    and the lead time (NaN when unknown)."""
    c = log.codes
    act, case = c.activity, c.case
    times = event_times(log, cal)
    wait, proc, case_duration = times.wait, times.proc, times.case_duration
    del times  # its other per-event arrays are not needed
    day_hours = cal.day_hours or 24.0
    # each wait split by cause; a wait past its legal period is statutory up to the period
    # only, the rest keeps its other cause (WaitCauses.split), so the parts add up to the
    # wait; a legal period recorded as a step lasting it counts with that step's processing.
    # Block by block of whole cases: the per-event parts of one block at a time.
    client_us, office_us, statutory_us = (np.zeros(c.n_cases, dtype=np.float64) for _ in range(3))
    for lo, hi in blocks:
        part = _block(wc, lo, hi)
        k0, k1 = case[lo], case[hi - 1] + 1
        ks = case[lo:hi] - k0

        def per_case(values: np.ndarray, ks: np.ndarray = ks, m: int = k1 - k0) -> np.ndarray:
            return np.bincount(ks, weights=values.astype(np.float64), minlength=m)

        parts = part.split(wait[lo:hi])
        client_us[k0:k1] = per_case(parts["client"])
        office_us[k0:k1] = per_case(parts["office"] + parts["batch"])
        del parts
        statutory_us[k0:k1] = per_case(part.outside_office(wait[lo:hi], proc[lo:hi], act[lo:hi])[1])
    return (_days(client_us, day_hours), _days(office_us, day_hours), _days(statutory_us, day_hours),
            _days(np.where(case_duration == NAT, np.nan, case_duration), day_hours))


def _offices_per_case(log: EventLog, blocks: list[tuple[int, int]]) -> tuple[np.ndarray, str]:
    """Per case, the distinct org units (else resources; NaN without either), and which
    column was counted."""
    c = log.codes
    basis = GROUP if GROUP in log.df.columns and log.df[GROUP].notna().any() else RESOURCE
    if basis not in log.df.columns:
        return np.full(c.n_cases, np.nan), basis
    codes, _ = pd.factorize(log.df[basis], use_na_sentinel=True)
    n_u = max(int(codes.max()) + 1, 1) if len(codes) else 1
    offices = np.zeros(c.n_cases, dtype=np.float64)
    for lo, hi in blocks:
        blk = codes[lo:hi]
        has = blk >= 0
        pairs = _distinct(c.case[lo:hi][has].astype(np.int64) * n_u + blk[has])
        offices += np.bincount(pairs // n_u, minlength=c.n_cases)
    return offices, basis


def _step_table(c: Any, table: pd.DataFrame, case_share: np.ndarray, routine: np.ndarray) -> pd.DataFrame:
    """The contact steps with their events, share of cases and routine flag, by kind then
    most frequent first."""
    events = np.bincount(c.activity, minlength=c.n_activities)
    steps = table.assign(events=events, case_share=case_share, routine=routine)
    steps = steps[steps["kind"] != ""].reset_index()
    steps["_k"] = steps["kind"].map(KINDS.index)
    steps = steps.sort_values(["_k", "events"], ascending=[True, False], kind="stable").drop(columns="_k")
    return steps.reset_index(drop=True)


def _asked_after(c: Any, again_idx: np.ndarray) -> pd.DataFrame:
    """The step before each asked-again request: times, cases and share of cases per
    (step, request), most cases first."""
    act, case = c.activity, c.case
    names = np.asarray(c.activity_names, dtype=object)
    prev = act[again_idx - 1] if len(again_idx) else np.zeros(0, dtype=np.int64)
    after = pd.DataFrame({"activity": names[prev] if len(prev) else [], "request": names[act[again_idx]]
                          if len(again_idx) else [], "case": case[again_idx]})
    after = (after.groupby(["activity", "request"], sort=False)
             .agg(times=("case", "size"), cases=("case", "nunique")).reset_index())
    after["case_share"] = after["cases"] / max(c.n_cases, 1)
    return after.sort_values(["cases", "times"], ascending=False, kind="stable").reset_index(drop=True)
