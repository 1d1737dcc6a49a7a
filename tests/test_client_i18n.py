"""The applicant's view in German, French and English: the reasons of the contact steps,
the repr, the plot and the CLI (one calendar note, the calendar of --canton)."""

from __future__ import annotations

import re

import matplotlib
import pytest
from click.testing import CliRunner

matplotlib.use("Agg")

import procmine as pm
from procmine.calendar import Calendar
from procmine.cli import main
from procmine.client._contacts import step_reasons
from procmine.errors import ParameterError
from procmine.i18n import calendar_note, catalog, gettext
from procmine.samples import sample_path

# classify_steps' reasons as it writes them (English)
STEP_REASONS = [
    "declared external",
    "name: the outside world triggers it",
    "no staff recorded on it (the log records resources elsewhere)",
    "recorded by a system account",
    "follows the previous step within a second: reacts to it",
    "sub-second durations (recorded by a system)",
    "structure: an external step follows after a long wait",
    "asks another unit of the log (its answer is recorded as that unit's work): not a request",
    "name: a request to the applicant or a third party",
    "name: a hold status (the case is parked for someone outside the queue)",
]
# words of the English reasons that no German or French reason contains
_ENGLISH = re.compile(r"\b(the applicant|request to|sends or notifies|outside world|recorded by|a fee|goes back to"
                      r"|the way back|is not recorded|times it leaves)\b")


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_step_reason_has_a_translation(language: str) -> None:
    for reason in STEP_REASONS:
        assert reason in catalog(language), reason
        assert step_reasons(reason, language) != reason
    both = step_reasons(f"{STEP_REASONS[1]}; {STEP_REASONS[3]}", language)
    assert both.count(";") == 1 and not _ENGLISH.search(both)
    loop = step_reasons("goes straight back into a loop of office work in 40% of its occurrences: not a request",
                        language)
    assert "40" in loop and "loop" not in loop
    assert step_reasons("a reason nobody translated", language) == "a reason nobody translated"
    # a request found from the structure (found in permit_de's French report, in English)
    for how in ("the way back is long in 97% of the returns (3% of the check's other entries)",
                "it is repeated back to back with long waits (a chase)"):
        text = step_reasons(f"{STEP_REASONS[8]}; structure: the case goes back to 'Vollständigkeit prüfen' after it "
                            f"in 100% of the times it leaves it, {how}; the answer is not recorded", language)
        assert "'Vollständigkeit prüfen'" in text and "100" in text and not _ENGLISH.search(text), text


@pytest.mark.parametrize("sample", ["permit_de", "subsidy_fr"])
@pytest.mark.parametrize("language", ["de", "fr"])
def test_contact_step_reasons_follow_the_language(sample: str, language: str) -> None:
    log = pm.samples.load(sample)
    en = pm.client_view(log).contact_steps
    cv = pm.client_view(log, language=language)
    steps = cv.contact_steps
    assert steps[["activity", "kind"]].equals(en[["activity", "kind"]])  # only the text changes
    for mine, english in zip(steps["why"], en["why"]):
        assert mine and mine != english
        assert not _ENGLISH.search(mine), mine
    declared = pm.client_view(log, contact_steps=[steps["activity"].iloc[0]], language=language).contact_steps
    assert declared["why"].tolist() == [gettext("declared", language)] != ["declared"]


def test_repr_speaks_the_result_language() -> None:
    log = pm.samples.load("permit_de")
    de, fr, en = (repr(pm.client_view(log, language=lang)) for lang in ("de", "fr", "en"))
    assert "1’000 Fälle" in de and "Kontaktschritte" in de and "Median" in de and "cases" not in de
    assert "dossiers" in fr and "étapes de contact" in fr and "cases" not in fr
    assert "1’000 cases" in en and "contact steps" in en
    assert all("\n" not in r for r in (de, fr, en))
    cv = pm.client_view(log, language="fr")
    assert cv.headline() == cv.headline("fr") != cv.headline("en")
    assert cv.headline("fr").split(".")[0] in cv._repr_html_()
    with pytest.raises(ParameterError, match="language"):
        pm.client_view(log, language="it")


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_plot_labels_are_translated_and_name_the_calendar(language: str) -> None:
    cal = Calendar(canton="BE")
    cv = pm.client_view(pm.samples.load("subsidy_fr"), calendar=cal, by="Commune")
    ax = cv.plot(language=language)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == gettext("waiting for the applicant", language)
    assert legend[-1] == gettext("processing and other time", language)
    assert ax.get_title() == gettext("Whose waiting the lead time is", language)
    xlabel = ax.get_xlabel()
    assert calendar_note(cal, language) in xlabel and gettext("working days", language) in xlabel
    assert xlabel.count("(") == 1  # no "(working days) (calendar ...)"
    if language != "en":
        assert "waiting" not in " ".join(legend) and "lead time" not in xlabel
    # the result's own language is the default
    ax = pm.client_view(pm.samples.load("subsidy_fr"), language=language).plot()
    assert ax.get_title() == gettext("Whose waiting the lead time is", language)
    # elapsed days have no calendar to name
    ax = pm.client_view(pm.samples.load("subsidy_fr"), calendar=Calendar.always()).plot(language=language)
    assert ax.get_xlabel().endswith(gettext("days", language)) and "(" not in ax.get_xlabel()


@pytest.mark.parametrize("language,note", [("de", "Kalender CH, Arbeitstag 8 Std."),
                                           ("fr", "calendrier CH, jour ouvrable de 8 h"),
                                           ("en", "calendar CH, working day 8 h")])
def test_cli_client_names_the_calendar_once(language: str, note: str) -> None:
    res = CliRunner().invoke(main, ["client", str(sample_path("subsidy_fr")), "--lang", language, "--by", "Commune"])
    assert res.exit_code == 0, res.output
    assert res.output.count(note) == 1, res.output
    # the day figures' sentence carries it, right after the unit
    assert f"{gettext('working days', language)} ({note})" in res.output
    if language == "fr":  # French puts a thin no-break space before the colon, in every row
        assert "Fribourg\u202f: " in res.output and "Fribourg: " not in res.output
    res = CliRunner().invoke(main, ["client", str(sample_path("subsidy_fr")), "--lang", language, "--canton", "FR"])
    assert res.exit_code == 0, res.output
    assert note.replace("CH", "FR") in res.output and note not in res.output
