"""Fixtures of the report tests: the sample's first two waves, their release and reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.privacy.disclosure import DEFAULT_POLICY
from toolkit.report import write_manager_reports

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
WAVES = ("2026Q1", "2026Q2")
WAVE = "2026Q2"


@pytest.fixture(scope="session")
def survey():
    return toolkit.load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")


@pytest.fixture(scope="session")
def units():
    return pd.read_csv(SAMPLE / "units.csv")


@pytest.fixture(scope="session")
def roster():
    return pd.read_csv(SAMPLE / "roster.csv")


@pytest.fixture(scope="session")
def sample_release(sample_valid, survey, units, roster):
    valid = sample_valid
    invited = (
        roster[roster["wave"].isin(WAVES)].groupby(["team", "wave"]).size().rename("invited").reset_index()
    )
    return toolkit.release(valid, survey, units, invited=invited)


@pytest.fixture(scope="session")
def sample_valid(survey):
    return pd.concat(
        [
            toolkit.validate(toolkit.read_canonical(SAMPLE / f"responses_{w}.csv"), survey).valid
            for w in WAVES
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="session")
def sample_comments(sample_valid, survey, units, roster):
    return toolkit.release_comments(sample_valid, survey, units, roster=roster)


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory, sample_release, sample_comments, survey, units):
    out = tmp_path_factory.mktemp("reports")
    managers = pd.read_csv(SAMPLE / "teams.csv")
    manifest = write_manager_reports(
        sample_release, survey, units, wave=WAVE, out_dir=out, managers=managers, comments=sample_comments
    )
    return out, manifest


# --------------------------------------------------------------------------- HTML scanning


class Page(HTMLParser):
    """Text a reader meets (data outside style/script, plus title, aria-label and alt) and the tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.quotes: list[str] = []  # the text of each <blockquote> (a published comment), kept apart
        self.tags: list[tuple[str, dict]] = []
        self._skip = 0
        self._quote: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "blockquote":
            self._quote = []
        for key in ("title", "aria-label", "alt"):
            if a.get(key):
                self.text.append(a[key])

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        if tag == "blockquote" and self._quote is not None:
            self.quotes.append("".join(self._quote))
            self._quote = None

    def handle_data(self, data):
        if self._quote is not None:
            self._quote.append(data)
        elif not self._skip:
            self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


#: Numbers in a report that are not data: the points of the 1 to 5 answer scales on the chart axis.
SCALE_POINTS = {"1", "2", "3", "4", "5"}
#: Answer labels with digits in them (``15 minutes or less``): wording, removed before the scan.
ANSWER_LABELS = sorted(
    {
        choice.label
        for scale in toolkit.load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml").scales.values()
        for choice in scale.values
        if any(ch.isdigit() for ch in choice.label)
    },
    key=len,
    reverse=True,
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%?)")


def unexplained_numbers(html: str, rows: pd.DataFrame, *, waves, policy=None, comments=None) -> list[str]:
    """Every number of the page's text that is not a value or ``n`` of ``rows`` as the release shows it.

    Wave labels, answer labels with digits and the term "1:1" are removed first; then a number with
    decimals must be a mean or change (of cut ``all`` or a cadence cut), a number with ``%`` a
    percentage (favourable, answer share, cadence and length share, response rate), a whole number
    an ``n``, a count of responses, a threshold of the policy (scores, distributions, comments) or a
    scale point of the axis. Comments (``<blockquote>``) are text, not numbers: each must be a
    comment of ``comments`` (the audience's comment release rows of the wave), whose ``n`` then
    explains a whole number; a page with quotes but no ``comments`` fails.
    """
    page = parse(html)
    bad = []
    published = [] if comments is None else comments["comment"].astype("str").tolist()
    for quote in page.quotes:
        if quote in published:
            published.remove(quote)  # each published comment once
        else:
            bad.append(f"comment {quote!r}")
    pol = {**DEFAULT_POLICY, **(policy or {})}
    md, pd_ = pol["mean_decimals"], pol["percent_decimals"]
    measure = rows["measure"].astype("str")
    is_pct = (
        measure.str.endswith(":favourable") | measure.str.contains(":share:") | (measure == "response_rate")
    )
    values = rows["value"].abs()
    means = {f"{v:.{md}f}" for v in values[~is_pct & (measure != "responses")]}
    pcts = {f"{v:.{pd_}f}" for v in values[is_pct]}
    ints = {str(int(n)) for n in rows["n"]} | {str(int(v)) for v in values[measure == "responses"]}
    ints |= {str(pol["min_scores"]), str(pol["min_distribution"])} | SCALE_POINTS
    if comments is not None:
        ints |= {str(int(n)) for n in comments["n"]} | {str(pol["min_comments"])}
    text = " ".join(page.text)
    for w in sorted(waves, key=len, reverse=True):
        text = text.replace(w, " ")
    for label in ANSWER_LABELS:
        text = text.replace(label, " ")
    text = text.replace("1:1", " ")
    for number, pct in _NUMBER.findall(text):
        ok = number in pcts if pct else (number in means if "." in number else number in ints)
        if not ok:
            bad.append(number + pct)
    return bad
