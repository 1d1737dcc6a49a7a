"""The text of ``sample_logs/README.md``, written with the files so that it stays true."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..log import EventLog
from ._spec import GroundTruth, ProcedureSpec

__all__ = ["readme_text"]

_INTRO = """\
# Sample event logs

Two administrative procedures of an invented Swiss canton, simulated by
`procmine.samples.generator` with known redundancies injected and legitimate look-alikes
("decoys") beside them. They are the same data as `procmine.samples.load("permit_de")` and
`procmine.samples.load("subsidy_fr")`, and the ground truth is what the redundancy
detectors are validated against. Nothing here comes from real people: resources are
pseudonymous ids (`MA-017`, `CO-004`), communes are real place names only.

Rebuild every file (deterministic, seeded) with

    python -m procmine.samples.generator --regenerate

| file | what |
| --- | --- |
| `permit_de.csv` | Baubewilligungsverfahren (building permit), as a canton's system exports it: `;`, UTF-8, German headers, local times |
| `permit_de.xes.gz` | the same events as XES (gzipped: plain XES of both logs would be ~15 MB); case attributes as trace attributes |
| `subsidy_fr.csv` | demande de subvention (subsidy application), `;`, UTF-8, French headers, local times |
| `subsidy_fr.xes.gz` | the same events as XES (gzipped) |

Read them with `procmine.read_log("sample_logs/permit_de.csv")` (roles are detected from
the headers), with pandas (`pd.read_csv(path, sep=";")`), or open them in any process
mining tool. The package ships the same files gzipped (`procmine.samples.sample_path(name)`)
plus `<name>.truth.json`, the ground truth below.

A third procedure, `residence_it` (domanda di permesso di dimora, Italian), is not shipped
but can be generated, with its redundancies in other places than in these two:
`procmine.samples.generator.generate("residence_it", n_cases=1000, seed=0)`.

## How they were made

A discrete-event simulation: cases arrive on working days (Poisson, peaking in April at
about twice the October rate); every step is done by a person of an org unit (or by a system),
with a lognormal processing time in working minutes. Work is done only in office hours
(Mon–Fri 07:30–12:00 and 13:30–17:00, Europe/Zurich, none on New Year, 2 January, Good
Friday, Easter Monday, Ascension, Whit Monday, 1 August, 25/26 December). Each person
handles one item at a time, first come first served, so waiting time emerges from load;
on top come inbox delays, mail transit and the applicant's answers. Routing decisions
depend on the applicant type. A few percent of cases carry recording noise: a skipped step,
two neighbouring events swapped, an event recorded twice, or a missing resource.
"""

_COLUMNS = {
    "de": [
        ("Dossier-Nr", "case id (`case:concept:name`)", "BG-2024-00017"),
        ("Aktivität", "activity (`concept:name`)", "Vollständigkeit prüfen"),
        ("Beginn", "start, local time `dd.mm.yyyy HH:MM:SS` (`start_timestamp`)", "08.01.2024 09:25:01"),
        ("Zeitstempel", "completion, local time (`time:timestamp`)", "08.01.2024 09:40:41"),
        ("Sachbearbeiter/in", "resource, pseudonymous (`org:resource`); `eBau-Portal` for system events",
         "MA-003"),
        ("Amt", "org unit (`org:group`)", "Gemeinde Bauverwaltung"),
        ("Gemeinde", "commune (case attribute)", "Köniz"),
        ("Gesuchsteller-Typ", "applicant type (case attribute): Privatperson, Unternehmen, Öffentliche Hand",
         "Privatperson"),
    ],
    "fr": [
        ("N° de dossier", "case id (`case:concept:name`)", "SUB-2024-00017"),
        ("Activité", "activity (`concept:name`)", "Contrôle de complétude"),
        ("Début", "start, local time `dd.mm.yyyy HH:MM:SS` (`start_timestamp`)", "08.01.2024 09:25:01"),
        ("Horodatage", "completion, local time (`time:timestamp`)", "08.01.2024 09:40:41"),
        ("Collaborateur/trice", "resource, pseudonymous (`org:resource`); `Portail e-services` for system events",
         "CO-015"),
        ("Service", "org unit (`org:group`)", "Guichet communal"),
        ("Commune", "commune (case attribute)", "Bulle"),
        ("Type de demandeur", "applicant type (case attribute): Particulier, Association, Entreprise",
         "Particulier"),
    ],
}

_TITLES = {
    "permit_de": "`permit_de`: Baubewilligungsverfahren (German)",
    "subsidy_fr": "`subsidy_fr`: demande de subvention (French)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def readme_text(entries: Sequence[tuple[ProcedureSpec, EventLog, Sequence[GroundTruth], Mapping[str, Any]]]) -> str:
    """README for the given samples: (spec, log, truth, generator arguments) each."""
    parts = [_INTRO]
    for spec, log, truth, args in entries:
        tr = log.time_range
        span = f"{tr[0]:%d.%m.%Y} – {tr[1]:%d.%m.%Y}" if tr else "empty"
        commune = log.df[spec.commune].nunique()
        parts.append(f"\n## {_TITLES.get(spec.name, spec.name)}\n\n")
        parts.append(
            f"{log.n_cases:,} cases, {log.n_events:,} events, {log.codes.n_activities} activities, "
            f"{log.df['org:group'].nunique()} org units, {log.df['org:resource'].nunique()} resources, "
            f"{commune} communes, {span}. Generated with "
            + ", ".join(f"`{k}={v!r}`" for k, v in args.items())
            + ".\n"
        )
        parts.append("\n| column | meaning | example |\n| --- | --- | --- |\n")
        for header, meaning, example in _COLUMNS[spec.language]:
            parts.append(f"| `{_cell(header)}` | {_cell(meaning)} | {_cell(example)} |\n")
        parts.append("\nActivities (events in the log):\n\n")
        acts = log.activities
        parts.append(", ".join(f"{name} ({count:,})" for name, count in acts.items()) + "\n")
        parts.append("\nGround truth (`" + spec.name + ".truth.json`): injected redundancies\n\n")
        parts.append("| kind | activities | org units | note |\n| --- | --- | --- | --- |\n")
        for t in truth:
            if not t.decoy:
                parts.append(f"| `{t.kind}` | {_cell(', '.join(t.activities))} | {_cell(', '.join(t.org_units))} "
                             f"| {_cell(t.note)} |\n")
        parts.append("\nDecoys: legitimate patterns that imitate a kind and must *not* be flagged\n\n")
        parts.append("| imitates | activities | org units | required | note |\n| --- | --- | --- | --- | --- |\n")
        for t in truth:
            if t.decoy:
                parts.append(f"| `{t.kind}` | {_cell(', '.join(t.activities))} | {_cell(', '.join(t.org_units))} "
                             f"| {'yes' if t.required else ''} | {_cell(t.note)} |\n")
        if spec.contacts:
            parts.append("\nContacts with the applicant (`ProcedureSpec.contacts`, the truth of "
                         "`procmine.client_view`)\n\n| activity | kind |\n| --- | --- |\n")
            for act, kind in spec.contacts.items():
                parts.append(f"| {_cell(act)} | `{kind}` |\n")
        if spec.limits:
            parts.append(f"\nTime limits (`ProcedureSpec.limits`; as rules: `procmine.samples.limits({spec.name!r})`)"
                         "\n\n| rule | from → to | limit | models |\n| --- | --- | --- | --- |\n")
            for d in spec.limits:
                limit = f"{d.limit} {d.unit.replace('_', ' ')}" + (", stand-still" if d.standstill else "")
                parts.append(f"| {_cell(d.name)} | {_cell(d.start)} → {_cell(d.end)} | {limit} | {_cell(d.basis)} |\n")
    parts.append(
        "\nA `required` decoy is a legally required second check: declare it with "
        "`find_redundancies(log, required=[...])`.\n"
    )
    return "".join(parts)
