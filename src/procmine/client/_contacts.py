"""Which steps are contacts with the applicant, and of which kind (see :mod:`procmine.client`).

:func:`detect` proposes a kind per activity from its name (German, French, Italian,
English) and the data (:func:`procmine.waits._steps.classify_steps`); :func:`declared` turns a
user's ``contact_steps`` into the same table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import fail
from ..i18n import format_message, format_percent, gettext, join_clauses
from ..log import EventLog
from ..waits._steps import classify_steps, normalise_name

__all__ = ["KINDS", "declared", "detect", "step_reasons"]

#: contact kinds, in display order
KINDS = ("request", "notice", "payment", "hearing", "inbound")

# vocabulary on normalise_name() text (lower case, no accents, umlauts as ae/oe/ue)
_HEARING = re.compile(r"anhoerung|rechtliche\w*\s+gehoer|\bgehoer\b|\baudition|\baudizion|\bhearing")
_PAYMENT = re.compile(
    r"rechnung|gebuehr|kostenvorschuss|zahlung|bezahl|\bkosten\b|facture|emolument|\bpaiement|\bpaye|versement"
    r"|\bavance\s+de\s+frais|fattur|emolument|pagament|\bpagat|\btass[ae]\b|\binvoice|\bfee\b|\bfees\b|\bpayment"
    r"|\bpaid\b|\bpay\b|\bbilling\b|\bbill\b"
)
# an instruction to pay given inside the administration is not a contact
_PAY_ORDER = re.compile(r"auftrag|anweisung|\bordre\b|\bordine\b|\border\b|\bmandat")
_CHANGE_REQUEST = re.compile(
    r"(aenderung|anpassung|ueberarbeitung|korrektur|berichtigung|verbesserung)\w*\s+(\w+\s+)?"
    r"(verlangt|verlangen|angefordert|anfordern|gefordert|einfordern)"
    r"|(modification|correction|rectification)s?\s+(\w+\s+)?(demandee|requise|exigee)s?"
    r"|demande\s+de\s+(modification|correction|rectification)"
    r"|(richiesta|domanda)\s+di\s+(modifica|correzione|rettifica)|(modifica|correzione)\s+richiest"
    r"|(change|correction|amendment|revision)s?\s+(\w+\s+)?requested"
    r"|request\w*\s+(for\s+)?(a\s+)?(change|correction|amendment|revision)"
)
_NOTICE = re.compile(
    r"versend|versand|\bsenden\b|zustell|eroeffn|mitteil|\bbenachrichtig|bestaetigung\s+(\w+\s+)?(senden|versend)"
    r"|eingangsbestaetigung|empfangsbestaetigung"
    r"|notifi|\benvo[iy]|expedi|accuse\s+de\s+reception|\bcommunication\s+de"
    r"|notific|\binvi[oa]|\binviat|\bspedi|conferma\s+di\s+ricezione"
    r"|\bsend|\bsent\b|\bnotify|\bmail(ed|ing)?\b|\bdeliver|\bpost(ed)?\s+to\b"
)
# a step that only checks, assesses or prepares the decision of sending is internal work
_CHECK = re.compile(
    r"\bpruef|kontroll|\bcheck|controle|verifi|\bdetermin|\breview|\bassess|evaluat|valut|\bcontroll|abklaer"
)
# asking an expert or another authority for an opinion is a consultation, not a contact
_EXPERT = re.compile(
    r"\badvi[cs]e|advies|gutacht|fachbericht|mitbericht|vernehmlassung|\bexpertis|\bpreavis|\bavis\b"
    r"|\bparer[ei]\b|consult|\bopinion"
)
_APPLICANT = (
    r"(gesuchsteller\w*|antragsteller\w*|buerger\w*|kund\w*|partei\w*|bauherr\w*|beschwerdefuehrer\w*"
    r"|requerant\w*|demandeur\w*|administre\w*|contrevenant\w*|beneficiaire\w*|client\w*|citoyen\w*"
    r"|richiedent\w*|cittadin\w*|contravventor\w*|destinatari\w*|beneficiari\w*|utent\w*"
    r"|applicant\w*|offender\w*|citizen\w*|customer\w*|person|requester\w*|claimant\w*|recipient\w*|owner\w*)"
)
# a named addressee (to/an/au/a/al...) or origin (from/von/de/da...) that is not the applicant
_TO = re.compile(r"\b(?:an|to|au|aux|al|all|alla|allo|ai|a\s+la|a\s+l)\s+"
                 r"(?:die\s+|den\s+|das\s+|the\s+|la\s+|le\s+|l\s+|il\s+)?(\w+)")
_FROM = re.compile(r"\b(?:from|von|vom|du|dal|dalla|dallo|par)\s+(?:der\s+|dem\s+|the\s+|la\s+|le\s+|l\s+)?(\w+)")
_APPLICANT_WORD = re.compile(_APPLICANT)
# "asked to pay", "invitation to submit": what the applicant is to do, not an addressee
_VERB = re.compile(r"pay|submit|provide|supply|complete|correct|sign|appear|comment|respond|reply|send|be|fournir"
                   r"|completer|payer|signer|repondre|pagare|fornire|completare|integrare|rispondere")


def _other_addressee(text: str, pattern: re.Pattern[str]) -> bool:
    """The name says the step goes to (or comes from) someone other than the applicant."""
    for m in pattern.finditer(text):
        word = m.group(1)
        if not _APPLICANT_WORD.fullmatch(word) and not _VERB.fullmatch(word):
            return True
    return False


def _reasons(language: str) -> dict[str, str]:
    """The reasons :func:`detect` gives, in ``language`` (templates of :func:`format_message`)."""
    return {
        "hearing": gettext("name: the applicant is heard", language),
        "payment": gettext("name: a fee, an invoice or a payment", language),
        "request": gettext("a request to the applicant ({reason})", language),
        "change": gettext("name: the applicant is asked to change or correct the application", language),
        "acts": gettext("the applicant acts ({reason})", language),
        "answers": gettext("answers a request in {share} of its events ({reason})", language),
        "notice": gettext("name: the office sends or notifies the applicant something", language),
        "declared": gettext("declared", language),
    }


# the reasons of classify_steps (its ``why``, parts joined by "; "), as it writes them in English
_LOOP_BACK = re.compile(r"goes straight back into a loop of office work in (\d+)% of its occurrences: not a request")
_GOES_BACK = re.compile(r"structure: the case goes back to '(.*)' after it in (\d+)% of the times it leaves it, (.*)")
_WAY_BACK = re.compile(r"the way back is long in (\d+)% of the returns \((\d+)% of the check's other entries\)")


def step_reasons(why: str, language: str) -> str:
    """classify_steps' ``why`` (English, parts joined by ``"; "``) in ``language``; a part
    the catalogues do not know stays as written.

    >>> step_reasons("name: a request to the applicant or a third party; recorded by a system account", "de")
    'Name: eine Anfrage an die Gesuchstellenden oder Dritte; von einem Systemkonto erfasst'
    """
    if language == "en" or not why:
        return why
    known = {
        "declared external": gettext("declared external", language),
        "name: the outside world triggers it": gettext("name: the outside world triggers it", language),
        "no staff recorded on it (the log records resources elsewhere)":
            gettext("no staff recorded on it (the log records resources elsewhere)", language),
        "recorded by a system account": gettext("recorded by a system account", language),
        "follows the previous step within a second: reacts to it":
            gettext("follows the previous step within a second: reacts to it", language),
        "sub-second durations (recorded by a system)": gettext("sub-second durations (recorded by a system)", language),
        "structure: an external step follows after a long wait":
            gettext("structure: an external step follows after a long wait", language),
        "asks another unit of the log (its answer is recorded as that unit's work): not a request":
            gettext("asks another unit of the log (its answer is recorded as that unit's work): not a request",
                    language),
        "name: a request to the applicant or a third party":
            gettext("name: a request to the applicant or a third party", language),
        "name: a hold status (the case is parked for someone outside the queue)":
            gettext("name: a hold status (the case is parked for someone outside the queue)", language),
        "the answer is not recorded": gettext("the answer is not recorded", language),
    }

    def pct(digits: str) -> str:  # a share classify_steps wrote as "40%"
        return format_percent(int(digits) / 100, language, 0)

    out = []
    for part in why.split("; "):
        m = _LOOP_BACK.fullmatch(part)
        if m:
            part = format_message(gettext("goes straight back into a loop of office work in {share} of its "
                                          "occurrences: not a request", language), language, share=pct(m.group(1)))
        m = _GOES_BACK.fullmatch(part)
        if m:  # a request found from the structure (its answer not in the log): see classify_steps
            check, share, how = m.groups()
            way = _WAY_BACK.fullmatch(how)
            if way:
                how = format_message(gettext("the way back is long in {long} of the returns ({other} of the check's "
                                             "other entries)", language), language,
                                     long=pct(way.group(1)), other=pct(way.group(2)))
            elif how == "it is repeated back to back with long waits (a chase)":
                how = gettext("it is repeated back to back with long waits (a chase)", language)
            part = format_message(gettext("structure: the case goes back to '{check}' after it in {share} of the "
                                          "times it leaves it, {how}", language), language,
                                  check=check, share=pct(share), how=how)
        out.append(known.get(part, part))
    return join_clauses(out, language)


def detect(log: EventLog, steps: pd.DataFrame | None = None, language: str = "en") -> pd.DataFrame:
    """Contact kind (or ``""``) and why for every activity, from its name and the data
    (``steps``: :func:`procmine.waits._steps.classify_steps` of the log, computed when None);
    ``why`` in ``language``."""
    reasons = _reasons(language)

    def why_text(key: str, **kw: Any) -> str:
        return format_message(reasons[key], language, **kw)

    c = log.codes
    names = np.asarray(c.activity_names, dtype=object)
    if steps is None:
        steps = classify_steps(log)
    req = steps["request"].to_numpy(dtype=bool)
    ext = steps["external"].to_numpy(dtype=bool)
    step_why_en = steps["why"].tolist()  # the rules below read it; the text shown is translated
    step_why = [step_reasons(w, language) for w in step_why_en]
    # an external step found from the data only (no staff on it) is the applicant's when it
    # answers a request: at least half of its events follow a request step
    act = c.activity
    n_act = len(names)
    texts = [normalise_name(a) for a in names]
    # a request naming another addressee (Rückfrage an Amt X): the step answering it is X's
    req_other = req & np.array([_other_addressee(t, _TO) for t in texts], dtype=bool)

    def share_after(flag: np.ndarray) -> np.ndarray:
        if len(act) < 2:
            return np.zeros(n_act)
        prev = np.zeros(len(act), dtype=bool)
        prev[1:] = flag[act[:-1]]
        prev &= ~c.is_first
        return np.bincount(act[prev], minlength=n_act) / np.maximum(np.bincount(act, minlength=n_act), 1)

    after_req, after_other = share_after(req & ~req_other), share_after(req_other)
    kinds, whys = [], []
    for a, text in enumerate(texts):
        kind, why = "", ""
        if req_other[a] or (ext[a] and after_other[a] >= 0.5):
            pass  # between the office and another authority
        elif _HEARING.search(text):
            kind, why = "hearing", why_text("hearing")
        elif _PAYMENT.search(text) and not _PAY_ORDER.search(text) and not _other_addressee(text, _TO):
            kind, why = "payment", why_text("payment")
        elif req[a] and not _CHECK.search(text) and not _EXPERT.search(text):
            kind, why = "request", why_text("request", reason=step_why[a])
        elif _CHANGE_REQUEST.search(text) and not _other_addressee(text, _TO):
            kind, why = "request", why_text("change")
        elif ext[a] and "name:" in step_why_en[a] and not _other_addressee(text, _FROM):
            kind, why = "inbound", why_text("acts", reason=step_why[a])
        elif ext[a] and after_req[a] >= 0.5:
            kind, why = "inbound", why_text("answers", share=format_percent(after_req[a], language, 0),
                                             reason=step_why[a])
        elif (_NOTICE.search(text) and not _CHECK.search(text) and not _EXPERT.search(text)
              and not _other_addressee(text, _TO) and not ext[a]):
            kind, why = "notice", why_text("notice")
        kinds.append(kind)
        whys.append(why)
    return pd.DataFrame({"kind": kinds, "why": whys}, index=pd.Index(names, name="activity"))


def declared(log: EventLog, contact_steps: Any, detected: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """``contact_steps`` as the kind per activity (replacing detection), ``why`` in ``language``."""
    func = "client_view"
    names = {str(a) for a in log.codes.activity_names}
    if isinstance(contact_steps, Mapping):
        items = [(str(a), k) for a, k in contact_steps.items()]
        for a, k in items:
            if k not in KINDS:
                raise fail(func, "contact_steps", f"kinds among {', '.join(KINDS)}", f"{a!r}: {k!r}")
    elif isinstance(contact_steps, Iterable) and not isinstance(contact_steps, str):
        items = [(str(a), None) for a in contact_steps]
    else:
        raise fail(func, "contact_steps", "a list of activities or a mapping {activity: kind}", contact_steps)
    unknown = [a for a, _ in items if a not in names]
    if unknown:
        raise fail(func, "contact_steps", "activities of the log", unknown[0])
    out = detected.copy()
    out["kind"], out["why"] = "", ""
    label = {str(x): x for x in detected.index}  # activity names need not be strings
    for a, k in items:
        if k is None:  # kind as detected, else a notice
            k = detected.at[label[a], "kind"] or "notice"
        out.at[label[a], "kind"] = k
        out.at[label[a], "why"] = _reasons(language)["declared"]
    return out
