"""What one manager report shows (private to :mod:`toolkit.report.manager`).

:class:`View` computes every section of the report from its audience's release rows alone: the
team's mean and its empirical-Bayes estimate with a 95% interval, favourable shares that say which
end of the scale they count, changes with their interval, comparisons with the units above,
conversation prompts only where the team is credibly worse than the organisation, and the
organisation's depth by cadence beside its adjusted weekly-vs-monthly estimate.
"""

from __future__ import annotations

import zlib

from toolkit.report import _svg
from toolkit.report._common import (
    better_text,
    contrast_sentence,
    environment,
    favourable_end,
    fmt_change,
    fmt_mean,
    fmt_pct,
    fmt_signed,
    higher_is_better,
    scale_range,
)
from toolkit.report._prompts import _GENERIC_PROMPTS, PROMPTS
from toolkit.survey import Survey
from toolkit.units import Units

_ROLES_BACK_TO_FRONT = ("organisation", "division", "department", "team")
_COUNT_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def choose_prompt(construct: str, team: str, wave: str) -> str:
    """The prompt for ``construct``: deterministic per team, wave and construct (CRC-32), so it varies
    between quarters and teams but not between runs."""
    options = PROMPTS.get(construct, _GENERIC_PROMPTS)
    return options[zlib.crc32(f"{team}|{wave}|{construct}".encode()) % len(options)]


def survey_facts(survey: Survey) -> dict[str, dict]:
    """What the report needs of each construct's wording and scale, computed once per survey."""
    return {
        c: {
            "better": better_text(survey, c),
            "higher": higher_is_better(survey, c),
            "favourable_end": favourable_end(survey, c),
            "range": scale_range(survey, c),
        }
        for c in survey.constructs
    }


class View:
    """What one manager report shows, computed from its audience's rows alone."""

    def __init__(
        self,
        data: dict,
        survey: Survey,
        tree: Units,
        *,
        team,
        wave,
        prev,
        pol,
        cuts=None,
        comments=None,
        facts=None,
    ):
        """``data`` maps (unit, measure) to (value, n): this wave's ``cut=all`` rows of ``manager:<team>``;
        ``cuts`` maps (unit, cut, measure) to (value, n): its cadence cuts; ``comments`` is this wave's
        comment release of ``manager:<team>`` grouped by :func:`toolkit.report.manager.comment_groups`
        (``None``: comments are not part of the report)."""
        self.survey, self.tree, self.team, self.wave, self.prev, self.pol = (
            survey,
            tree,
            team,
            wave,
            prev,
            pol,
        )
        self.data = data
        self.cuts = cuts or {}
        self.comment_rows = comments  # [(unit, item, n, comments)] of manager:<team>, or None
        self.org = tree.chain(team)[-1]
        self.cadence_item = survey.role_item("cadence")
        self.length_item = survey.role_item("meeting_length")
        self.mode = self._modal_cadence()
        units_seen = {u for u, _ in self.data}
        chain = tree.chain(team)
        self.compare = [u for u in chain[1:] if u in units_seen]  # nearest first
        self.constructs = list(survey.constructs)
        self.suppressed = not any((team, f"{c}:mean") in self.data for c in self.constructs)
        self.md = pol["mean_decimals"]
        self.facts = facts if facts is not None else survey_facts(survey)
        self._estimates: dict[str, tuple[float, float, float] | None] = {}

    # -- numbers as the release shows them

    def _get(self, unit, measure):
        return self.data.get((unit, measure))

    def mean(self, unit, measure):
        hit = self._get(unit, measure)
        return None if hit is None else fmt_mean(hit[0], self.md)

    def pct(self, unit, measure):
        hit = self._get(unit, measure)
        return None if hit is None else fmt_pct(hit[0], self.pol["percent_decimals"])

    def label(self, unit) -> str:
        kind = self.tree.kind.get(unit, "unit")
        name = self.tree.label.get(unit, unit)
        return "the organisation" if kind == "organisation" else f"{kind} {name}"

    def role(self, unit) -> str:
        return self.tree.kind.get(unit, "organisation")

    # -- the team's estimate against the organisation

    def estimate(self, c) -> tuple[float, float, float] | None:
        """The team's empirical-Bayes estimate of ``c`` and its 95% interval, when published."""
        if c not in self._estimates:
            hits = [self._get(self.team, f"{c}:eb_{p}") for p in ("mean", "low", "high")]
            self._estimates[c] = None if any(h is None for h in hits) else tuple(h[0] for h in hits)
        return self._estimates[c]

    def versus_org(self, c) -> str | None:
        """``"better"`` or ``"worse"`` when the team's interval excludes the organisation's mean
        (taking the construct's direction), ``"within"`` when it does not, ``None`` when either is
        not published."""
        est, org = self.estimate(c), self._get(self.org, f"{c}:mean")
        if est is None or org is None:
            return None
        _, low, high = est
        if low <= org[0] <= high:
            return "within"
        above = low > org[0]
        return "better" if above == self.facts[c]["higher"] else "worse"

    def _gap(self, c) -> float:
        """How far the interval lies from the organisation's mean on the bad side (for ordering)."""
        _, low, high = self.estimate(c)
        org = self._get(self.org, f"{c}:mean")[0]
        return org - high if self.facts[c]["higher"] else low - org

    # -- sections

    def participation(self) -> list[dict]:
        out = []
        for unit in [self.team, *self.compare]:
            resp = self._get(unit, "responses")
            rate = self._get(unit, "response_rate")
            if unit == self.team and (self.suppressed or resp is None):
                resp = rate = None  # the suppressed state hides counts and rates alike
            out.append(
                {
                    "unit": "Your team" if unit == self.team else self.label(unit).capitalize(),
                    "responses": None if resp is None else str(int(resp[0])),
                    "rate": None if rate is None else fmt_pct(rate[0], self.pol["percent_decimals"]),
                    "invited": None if rate is None else str(rate[1]),
                }
            )
        return out

    def _change(self, c) -> dict | None:
        hit = self._get(self.team, f"{c}:change")
        if hit is None:
            return None
        low, high = self._get(self.team, f"{c}:change_low"), self._get(self.team, f"{c}:change_high")
        out = {"text": fmt_change(hit[0], self.md), "low": None, "high": None, "clear": None}
        if low is not None and high is not None:
            out["low"], out["high"] = fmt_signed(low[0], self.md), fmt_signed(high[0], self.md)
            if low[0] > 0 or high[0] < 0:
                up = low[0] > 0
                out["clear"] = "improvement" if up == self.facts[c]["higher"] else "decline"
        return out

    def scores(self) -> list[dict]:
        out = []
        for c in self.constructs:
            con = self.survey.constructs[c]
            t = self._get(self.team, f"{c}:mean")
            est = self.estimate(c)
            out.append(
                {
                    "id": c,
                    "label": con.label,
                    "description": con.description,
                    "better": self.facts[c]["better"],
                    "team": self.mean(self.team, f"{c}:mean"),
                    "n": None if t is None else str(t[1]),
                    "estimate": None
                    if est is None
                    else dict(zip(("mean", "low", "high"), (fmt_mean(x, self.md) for x in est), strict=True)),
                    "versus": self.versus_org(c),
                    "favourable": self.pct(self.team, f"{c}:favourable"),
                    "favourable_end": self.facts[c]["favourable_end"],
                    "change": self._change(c),
                    "others": [self.mean(u, f"{c}:mean") for u in self.compare],
                    "same_cadence": self._cadence_mean(self.mode, c),
                }
            )
        return out

    def chart(self) -> str:
        rows, roles = [], []
        for u in self.compare:
            if self.role(u) not in roles:
                roles.append(self.role(u))
        roles = [r for r in _ROLES_BACK_TO_FRONT if r in roles] + ["team"]
        lo, hi = 5.0, 1.0
        for c in self.constructs:
            a, b = self.facts[c]["range"]
            lo, hi = min(lo, a), max(hi, b)
            points, interval, value = {}, None, None
            est = self.estimate(c)
            if est is not None:  # the team's estimate with its interval
                points["team"] = (est[0], fmt_mean(est[0], self.md))
                interval = (est[1], est[2])
                value = (
                    f"{fmt_mean(est[0], self.md)} ({fmt_mean(est[1], self.md)}–{fmt_mean(est[2], self.md)})"
                )
            for unit, role in [(self.team, "team"), *((u, self.role(u)) for u in self.compare)]:
                hit = self._get(unit, f"{c}:mean")
                if hit is not None and role not in points:
                    points[role] = (hit[0], fmt_mean(hit[0], self.md))
            rows.append(_svg.DotRow(self.survey.constructs[c].label, points, interval, value))
        who = ", ".join(self.label(u) for u in self.compare)
        if self.suppressed:
            team = "your team (not shown: too few responses), "
        elif self.has_estimates:
            team = "your team's estimate (circles) with its 95% interval (lines) "
        else:
            team = "your team (circles) "
        aria = f"Dot chart of {team}against the means of {who}. The same numbers are in the table of scores."
        return _svg.dot_chart(
            rows, lo=lo, hi=hi, label=aria, roles=roles, value_width=120 if self.has_estimates else 80
        )

    @property
    def has_estimates(self) -> bool:
        return any(self.estimate(c) is not None for c in self.constructs)

    def legend(self) -> list[dict]:
        items = []
        if not self.suppressed:
            text = (
                "Your team: estimate (circle) and 95% interval (line)"
                if self.has_estimates
                else "Your team (circle)"
            )
            items.append({"symbol": _svg.legend_symbol("team"), "text": text})
        shapes = {"department": "diamond", "division": "triangle", "organisation": "vertical bar"}
        for u in self.compare:
            role = self.role(u)
            items.append(
                {
                    "symbol": _svg.legend_symbol(role),
                    "text": f"{self.label(u).capitalize()} ({shapes.get(role, '')})",
                }
            )
        return items

    def distributions(self) -> list[dict]:
        out = []
        for c in self.constructs:
            items = []
            for item_id in self.survey.constructs[c].items:
                scale = self.survey.scale_of(item_id)
                segs = []
                for pos, code in enumerate(scale.allowed):
                    hit = self._get(self.team, f"{item_id}:share:{code}")
                    if hit is None:
                        continue
                    segs.append(
                        {
                            "cls": "na" if code in scale.na_codes else f"s{pos + 1}",
                            "label": scale.label_of(code),
                            "pct": fmt_pct(hit[0], self.pol["percent_decimals"]),
                            "width": hit[0],
                        }
                    )
                if segs:
                    item = self.survey.item(item_id)
                    items.append({"text": item.text, "reverse": item.reverse, "segments": segs})
            if items:
                out.append(
                    {
                        "label": self.survey.constructs[c].label,
                        "better": self.facts[c]["better"],
                        "questions": items,
                    }
                )
        return out

    # -- cadence

    def _shares(self, item) -> list[dict] | None:
        """The team's published distribution of a cadence or length item, as bar segments."""
        if item is None:
            return None
        scale = self.survey.scale_of(item.id)
        segs = []
        for pos, code in enumerate(scale.allowed):
            hit = self._get(self.team, f"{item.id}:share:{code}")
            if hit is None:
                continue
            segs.append(
                {
                    "code": code,
                    "cls": f"c{pos % 5 + 1}",
                    "label": scale.label_of(code),
                    "pct": fmt_pct(hit[0], self.pol["percent_decimals"]),
                    "width": hit[0],
                    "n": hit[1],
                }
            )
        return segs or None

    def _modal_cadence(self):
        """The team's most common cadence answer, from its published distribution only (ties: the
        first answer of the scale); ``None`` when the distribution is not published."""
        segs = self._shares(self.cadence_item)
        if not segs:
            return None
        best = max(segs, key=lambda sg: sg["width"])  # max keeps the first of equal shares
        return best["code"]

    def _cadence_mean(self, code, construct):
        if code is None:
            return None
        hit = self.cuts.get((self.org, f"{self.cadence_item.id}={code}", f"{construct}:mean"))
        return None if hit is None else fmt_mean(hit[0], self.md)

    def rhythm(self) -> list[dict]:
        out = []
        for item, what in ((self.cadence_item, "cadence"), (self.length_item, "usual length")):
            if item is None:
                continue
            segs = self._shares(item)
            out.append(
                {
                    "title": f"Your team's 1:1 {what}",
                    "text": item.text,
                    "segments": segs,
                    "n": None if not segs or self.suppressed else str(segs[0]["n"]),
                }
            )
        return out

    def cadence_label(self) -> str | None:
        if self.mode is None:
            return None
        return self.survey.scale_of(self.cadence_item.id).label_of(self.mode)

    def depth_by_cadence(self) -> list[dict]:
        """The organisation's depth mean by reported cadence: every published cadence cut."""
        if self.cadence_item is None or "depth" not in self.survey.constructs:
            return []
        scale = self.survey.scale_of(self.cadence_item.id)
        out = []
        for code in scale.allowed:
            hit = self.cuts.get((self.org, f"{self.cadence_item.id}={code}", "depth:mean"))
            if hit is not None:
                out.append(
                    {
                        "label": scale.label_of(code),
                        "mean": fmt_mean(hit[0], self.md),
                        "n": str(hit[1]),
                        "team": code == self.mode,
                    }
                )
        return out

    def depth_contrast(self) -> str | None:
        """The organisation's adjusted weekly-vs-monthly depth difference, in a sentence."""
        if "depth" not in self.survey.constructs:
            return None
        hits = [self._get(self.org, f"depth:weekly_vs_monthly{s}") for s in ("", "_low", "_high")]
        if any(h is None for h in hits):
            return None
        return contrast_sentence(self.survey.constructs["depth"].label, *(h[0] for h in hits), self.md)

    def prompts(self) -> dict:
        """Prompts for the constructs where the team is credibly worse than the organisation (its
        interval lies on the bad side of the organisation's mean), worst first; otherwise a default
        conversation about depth, saying why."""
        default = [
            {"construct": None, "prompt": p}
            for p in PROMPTS.get("depth", _GENERIC_PROMPTS)
            if "depth" in self.survey.constructs or p in _GENERIC_PROMPTS
        ]
        if self.suppressed:
            return {"state": "suppressed", "items": [], "default": default}
        if not self.has_estimates or self._get(self.org, f"{self.constructs[0]}:mean") is None:
            return {"state": "no_estimates", "items": [], "default": default}
        worse = sorted(
            (c for c in self.constructs if self.versus_org(c) == "worse"), key=lambda c: -self._gap(c)
        )
        if not worse:
            shown = sum(self.estimate(c) is not None for c in self.constructs)
            return {
                "state": "none_stand_out",
                "items": [],
                "default": default,
                "shown": shown,
                "total": len(self.constructs),
            }
        items = []
        for c in worse:
            est = self.estimate(c)
            items.append(
                {
                    "construct": self.survey.constructs[c].label,
                    "score": fmt_mean(est[0], self.md),
                    "low": fmt_mean(est[1], self.md),
                    "high": fmt_mean(est[2], self.md),
                    "org": fmt_mean(self._get(self.org, f"{c}:mean")[0], self.md),
                    "better": self.facts[c]["better"],
                    "prompt": choose_prompt(c, self.team, self.wave),
                }
            )
        n = len(items)
        count = _COUNT_WORDS[n] if n < len(_COUNT_WORDS) else str(n)
        heading = (
            f"{count} {'area' if n == 1 else 'areas'} where your team is credibly below the organisation"
        )
        return {"state": "worse", "items": items, "default": [], "heading": heading}

    def comments(self) -> list[dict] | None:
        """The comment sets, the team's first, then those of the units above (pooled small teams)."""
        if self.comment_rows is None:
            return None
        chain = self.tree.chain(self.team)
        order = {u: i for i, u in enumerate(chain)}
        items = {it.id: i for i, it in enumerate(self.survey.items)}
        groups = []
        for unit, item, n, said in self.comment_rows:
            if unit == self.team:
                title = f"Your team ({n} respondents)"
            else:
                title = (
                    f"Teams of {self.label(unit)} whose groups are too small to show their comments "
                    f"on their own ({n} respondents together)"
                )
            groups.append(
                {
                    "key": (order.get(unit, len(chain)), items.get(item, len(items))),
                    "title": title,
                    "question": self.survey.item(item).text,
                    "comments": said,
                }
            )
        return sorted(groups, key=lambda g: g["key"])

    def html(self) -> str:
        scores = self.scores()
        return (
            environment()
            .get_template("manager.html.j2")
            .render(
                team=self.tree.label.get(self.team, self.team),
                wave=self.wave,
                prev=self.prev,
                title=self.survey.title,
                suppressed=self.suppressed,
                min_scores=self.pol["min_scores"],
                compare=[self.label(u) for u in self.compare],
                participation=self.participation(),
                scores=scores,
                has_estimates=self.has_estimates,
                chart=self.chart(),
                legend=self.legend(),
                distributions=self.distributions(),
                prompts=self.prompts(),
                min_distribution=self.pol["min_distribution"],
                rhythm=self.rhythm(),
                cadence_label=self.cadence_label(),
                same_cadence=any(s_["same_cadence"] for s_ in scores),
                depth_by_cadence=self.depth_by_cadence(),
                depth_contrast=self.depth_contrast(),
                org_label=self.label(self.org),
                any_change=any(s_["change"] for s_ in scores),
                comments=self.comments(),
                min_comments=self.pol["min_comments"],
            )
        )
