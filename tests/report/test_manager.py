"""Manager reports: self-contained, accessible, and showing nothing but their audience's rows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.report.conftest import WAVE, WAVES, parse, unexplained_numbers
from toolkit.report import DIRECTION, PROMPTS, manager_report, weakest_constructs, write_manager_reports
from toolkit.report.manager import _audience_data


def _audience_rows(release, team, wave=WAVE):
    """The rows a report may print: its audience's, this wave, cut ``all`` and the cadence cuts."""
    rows = release[release["audience"] == f"manager:{team}"]
    cut = rows["cut"].astype(str)
    return rows[(rows["wave"] == wave) & ((cut == "all") | cut.str.startswith("cadence="))]


def _audience_comments(comments, team, wave=WAVE):
    """The comment release rows a report may show: its audience's, this wave."""
    return comments[(comments["audience"] == f"manager:{team}") & (comments["wave"] == wave)]


def test_manifest_lists_every_team(sample_reports, units):
    out, manifest = sample_reports
    teams = units.loc[units["kind"] == "team", "unit"].tolist()
    assert manifest["team"].tolist() == teams
    assert list(manifest.columns) == ["team", "manager", "file", "suppressed"]
    assert manifest.loc[manifest["team"] == "t01", "manager"].item() == "m01"
    assert all((out / f).is_file() for f in manifest["file"])
    assert pd.read_csv(out / "manifest.csv")["file"].tolist() == manifest["file"].tolist()
    assert manifest["suppressed"].any() and not manifest["suppressed"].all()


def test_reports_are_self_contained_and_accessible(sample_reports):
    out, manifest = sample_reports
    for name in manifest["file"]:
        html = (out / name).read_text(encoding="utf-8")
        page = parse(html)
        tags = [t for t, _ in page.tags]
        assert dict(page.tags[0][1]) == {"lang": "en"} and page.tags[0][0] == "html", name
        assert "title" in tags and "h1" in tags and tags.count("h2") >= 5, name
        assert "main" in tags and "figure" in tags and "figcaption" in tags, name
        for tag, attrs in page.tags:
            for key in ("src", "href"):
                assert not re.match(r"\s*(https?:)?//", attrs.get(key) or ""), (name, tag, attrs)
            assert tag != "script", name
            assert not (tag == "link" and "stylesheet" in (attrs.get("rel") or "")), name
            if tag == "svg" and "chart" in (attrs.get("class") or ""):
                assert attrs.get("role") == "img" and attrs.get("aria-label"), name
            if tag == "svg" and "chart" not in (attrs.get("class") or ""):
                assert attrs.get("aria-hidden") == "true", name  # decorative legend symbols
            if tag == "img":
                assert attrs.get("alt"), name
        assert "@media print" in html, name
        assert "http://" not in html and "https://" not in html, name


def test_every_number_is_in_the_audience_rows(sample_reports, sample_release, sample_comments):
    out, manifest = sample_reports
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        html = (out / name).read_text(encoding="utf-8")
        mine = _audience_comments(sample_comments, team)
        bad = unexplained_numbers(html, _audience_rows(sample_release, team), waves=WAVES, comments=mine)
        assert bad == [], (team, bad[:10])
        assert len(parse(html).quotes) == len(mine), team  # every published comment is shown


def test_comment_scan_catches_a_foreign_comment(sample_reports, sample_release, sample_comments):
    out, manifest = sample_reports
    with_comments = [t for t in manifest["team"] if len(_audience_comments(sample_comments, t))]
    assert with_comments, "the sample should publish some comments"
    team = with_comments[0]
    html = (out / f"{team}.html").read_text(encoding="utf-8")
    planted = html.replace("</main>", "<blockquote>Ana said 3 things.</blockquote></main>")
    mine = _audience_comments(sample_comments, team)
    bad = unexplained_numbers(planted, _audience_rows(sample_release, team), waves=WAVES, comments=mine)
    assert bad == ["comment 'Ana said 3 things.'"]
    # without the comment release, every quote is unexplained
    assert len(unexplained_numbers(html, _audience_rows(sample_release, team), waves=WAVES)) == len(mine)


def test_comments_only_from_the_comment_release(sample_reports, sample_comments, units):
    out, manifest = sample_reports
    kinds = dict(zip(units["unit"], units["kind"], strict=True))
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        html = (out / name).read_text(encoding="utf-8")
        mine = _audience_comments(sample_comments, team)
        section = html.split('id="h-comments"', 1)[1]
        if mine.empty:
            assert "No comments can be shown to you this wave" in section, team
            continue
        for unit, part in mine.groupby("unit"):
            n = int(part["n"].iloc[0])
            assert n >= 10, (team, unit)
            heading = f"Your team ({n} respondents)" if unit == team else f"{kinds[unit]} {unit}"
            assert heading in section, (team, unit)


def test_report_without_comment_release_says_so(sample_release, survey, units):
    html = manager_report(sample_release, survey, units, team="t01", wave=WAVE)
    assert "Comments are not part of this report." in html and "<blockquote>" not in html


def test_number_scan_catches_a_planted_number(sample_reports, sample_release):
    out, _ = sample_reports
    html = (out / "t01.html").read_text(encoding="utf-8")
    planted = html.replace("</main>", "<p>other team: 1.23, 97%, 13</p></main>")
    assert set(unexplained_numbers(planted, _audience_rows(sample_release, "t01"), waves=WAVES)) >= {
        "1.23",
        "97%",
    }


def test_no_name_outside_the_audience(sample_reports, sample_release, units, roster):
    out, manifest = sample_reports
    all_units = units["unit"].astype(str).tolist()
    people = roster["name"].dropna().unique().tolist() + roster["email"].dropna().unique().tolist()
    managers = pd.read_csv("data/sample/teams.csv")["manager"].tolist()
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        page = parse((out / name).read_text(encoding="utf-8"))
        text = " ".join(page.text + page.quotes)
        seen = set(sample_release.loc[sample_release["audience"] == f"manager:{team}", "unit"].astype(str))
        seen.add(team)  # the report names its own team even when none of its rows are published
        for u in all_units:
            if u not in seen:
                assert not re.search(rf"\b{re.escape(u)}\b", text), (team, u)
        for m in managers:
            assert not re.search(rf"\b{re.escape(m)}\b", text), (team, m)
        assert not any(p in text for p in people), team


def test_key_figures_are_printed(sample_reports, sample_release):
    out, _ = sample_reports
    html = (out / "t01.html").read_text(encoding="utf-8")
    rows = _audience_rows(sample_release, "t01")
    depth = rows[(rows["unit"] == "t01") & (rows["measure"] == "depth:mean")]["value"].item()
    rate = rows[(rows["unit"] == "t01") & (rows["measure"] == "response_rate")]["value"].item()
    assert f"{depth:.2f}" in html and f"{rate:.0f}%" in html
    assert "Comments are shown only within a group of at least 10 respondents" in html
    assert "Comparison with teams of the same cadence:</strong>" in html
    assert "Results for your team are not shown" not in html


def test_distributions_where_published(sample_reports, sample_release):
    out, manifest = sample_reports
    shares = sample_release[
        (sample_release["audience"].astype(str) == "manager:" + sample_release["unit"].astype(str))
        & (sample_release["wave"] == WAVE)
        & sample_release["measure"].astype(str).str.contains(":share:")
        & ~sample_release["measure"].astype(str).str.startswith(("cadence:", "meeting_length:"))
    ]
    with_dist = set(shares["unit"].astype(str))
    assert with_dist, "the sample should publish some team distributions"
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        html = (out / name).read_text(encoding="utf-8")
        assert ('class="dist"' in html) == (team in with_dist), team


def test_suppressed_team_says_so_and_shows_only_its_audience(
    sample_reports, sample_release, sample_comments, survey, units
):
    out, manifest = sample_reports
    team = manifest.loc[manifest["suppressed"], "team"].iloc[0]
    rows = _audience_rows(sample_release, team)
    assert (
        not (rows["unit"] == team).any()
        or not rows.loc[rows["unit"] == team, "measure"].astype(str).str.endswith(":mean").any()
    )
    html = (out / f"{team}.html").read_text(encoding="utf-8")
    assert "Results for your team are not shown." in html and "Fewer than 5 people" in html
    mine = _audience_comments(sample_comments, team)
    assert unexplained_numbers(html, rows, waves=WAVES, comments=mine) == []


def test_raising_the_threshold_suppresses_a_team(survey, units, sample_release):
    # a release made with a higher threshold hides t01 (7 responses in 2026Q2)
    import toolkit
    from tests.report.conftest import SAMPLE

    valid = pd.concat(
        [toolkit.validate(toolkit.read_canonical(SAMPLE / f"responses_{w}.csv"), survey).valid for w in WAVES]
    )
    policy = {"min_scores": 8}
    rel = toolkit.release(valid, survey, units, policy=policy, audiences=["manager:t01"])
    html = manager_report(rel, survey, units, team="t01", wave=WAVE, policy=policy)
    assert "Results for your team are not shown." in html and "Fewer than 8 people" in html
    assert unexplained_numbers(html, _audience_rows(rel, "t01"), waves=WAVES, policy=policy) == []


def test_renderer_refuses_other_audiences(sample_release):
    rows = sample_release[sample_release["audience"].isin(["manager:t01", "manager:t02"])]
    with pytest.raises(ValueError, match="was given rows of"):
        _audience_data(rows, "manager:t01", WAVE)


def test_bad_arguments(sample_release, survey, units):
    with pytest.raises(ValueError, match="team must be a unit of kind team"):
        manager_report(sample_release, survey, units, team="dep01", wave=WAVE)
    with pytest.raises(ValueError, match="wave '2030Q1' is not in the release"):
        manager_report(sample_release, survey, units, team="t01", wave="2030Q1")


# --------------------------------------------------------------------------- prompts


def _hand_release(
    means: dict[str, float], eb: dict[str, tuple[float, float, float]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    units = pd.DataFrame(
        {
            "unit": ["org", "d1", "tx"],
            "parent": [None, "org", "d1"],
            "kind": ["organisation", "department", "team"],
        }
    )
    rows = [("manager:tx", "2026Q2", "tx", "all", "responses", 6.0, 6)]
    for c, v in means.items():
        rows.append(("manager:tx", "2026Q2", "tx", "all", f"{c}:mean", v, 6))
        rows.append(("manager:tx", "2026Q2", "org", "all", f"{c}:mean", 3.5, 60))
    for c, trio in (eb or {}).items():
        for part, v in zip(("eb_mean", "eb_low", "eb_high"), trio, strict=True):
            rows.append(("manager:tx", "2026Q2", "tx", "all", f"{c}:{part}", v, 6))
    rel = pd.DataFrame(rows, columns=["audience", "wave", "unit", "cut", "measure", "value", "n"])
    return rel, units


def _prompt_section(html):
    return html.split('id="h-prompts"')[1].split("</section>")[0]


def test_prompts_only_where_the_team_is_credibly_worse(survey):
    means = dict.fromkeys(survey.constructs, 3.5)
    means.update(depth=2.60, trust=2.90, holding_back=4.30, growth=4.40)
    eb = dict.fromkeys(survey.constructs, (3.5, 3.1, 3.9))
    eb.update(
        depth=(3.00, 2.70, 3.30),  # whole interval below the organisation's 3.50: worse
        holding_back=(3.90, 3.60, 4.20),  # above 3.50 where lower is better: worse, and by more
        trust=(3.20, 2.80, 3.60),  # includes 3.50: no prompt
        growth=(4.00, 3.70, 4.30),  # above: better, no prompt
    )
    rel, units = _hand_release(means, eb)
    html = manager_report(rel, survey, units, team="tx", wave="2026Q2")
    section = _prompt_section(html)
    items = re.findall(r"<li><strong>(.*?)</strong>", section)
    assert items == [survey.constructs[c].label for c in ("depth", "holding_back")]
    assert "Two areas where your team is credibly below the organisation" in section
    for c in ("holding_back", "depth"):
        assert any(p in section for p in PROMPTS[c]), c
    # the table marks the same constructs, direction-aware, and growth as better
    table = html.split('id="scores"')[1].split("</table>")[0]
    assert (
        table.count("worse than the organisation") == 2 and table.count("better than the organisation") == 1
    )
    # the same input gives the same prompts
    assert manager_report(rel, survey, units, team="tx", wave="2026Q2") == html


def test_no_area_stands_out_offers_the_depth_prompts(survey):
    means = dict.fromkeys(survey.constructs, 3.5)
    means.update(holding_back=2.75)  # a strength where lower is better: never a prompt
    eb = dict.fromkeys(survey.constructs, (3.45, 3.1, 3.8))
    eb["holding_back"] = (3.15, 2.78, 3.53)
    rel, units = _hand_release(means, eb)
    section = _prompt_section(manager_report(rel, survey, units, team="tx", wave="2026Q2"))
    assert "No area stands out" in section and "<strong>" not in section.split("</h3>")[1]
    assert all(p in section for p in PROMPTS["depth"])
    # without team estimates (an organisation under 10 teams) nothing is singled out either
    rel, units = _hand_release(means)
    section = _prompt_section(manager_report(rel, survey, units, team="tx", wave="2026Q2"))
    assert "No area can be singled out" in section and all(p in section for p in PROMPTS["depth"])


def test_suppressed_team_gets_no_team_prompts(sample_reports):
    out, manifest = sample_reports
    for name in manifest.loc[manifest["suppressed"], "file"]:
        section = _prompt_section((out / name).read_text(encoding="utf-8"))
        assert "No prompts from your team's scores" in section, name
        assert "weakest" not in section and "credibly below" not in section, name


def test_sample_prompts_follow_the_intervals(sample_reports, sample_release, survey):
    """On the sample, every listed prompt is a construct whose interval excludes the organisation's
    mean on its bad side, and the heading counts them."""
    out, manifest = sample_reports
    listed = 0
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        section = _prompt_section((out / name).read_text(encoding="utf-8"))
        rows = _audience_rows(sample_release, team)
        rows = rows[rows["cut"] == "all"]
        val = {
            (str(u), str(m)): v for u, m, v in zip(rows["unit"], rows["measure"], rows["value"], strict=True)
        }
        items = re.findall(r"<li><strong>(.*?)</strong>", section)
        listed += len(items)
        for c, con in survey.constructs.items():
            if (team, f"{c}:eb_low") not in val:
                assert con.label not in items, (team, c)
                continue
            low, high, org = val[team, f"{c}:eb_low"], val[team, f"{c}:eb_high"], val["org", f"{c}:mean"]
            worse = high < org if con.higher_is_better else low > org
            assert (con.label in items) == worse, (team, c)
        if items:
            word = ("One", "Two", "Three", "Four", "Five")[len(items) - 1]
            assert f"{word} area" in section, team
    assert listed > 0


def test_holding_back_low_is_good(survey):
    means = dict.fromkeys(survey.constructs, 3.0)
    means.update(holding_back=1.2, growth=2.0)
    assert "holding_back" not in weakest_constructs(means, survey)
    assert weakest_constructs(means, survey)[0] == "growth"
    assert DIRECTION["holding_back"] == -1 and all(
        v == 1 for k, v in DIRECTION.items() if k != "holding_back"
    )
    assert set(PROMPTS) == set(survey.constructs)
    assert all(2 <= len(p) <= 3 for p in PROMPTS.values())


def test_write_reports_only_selected_teams(tmp_path, sample_release, survey, units):
    manifest = write_manager_reports(
        sample_release, survey, units, wave=WAVE, out_dir=tmp_path, teams=["t02"]
    )
    assert manifest["file"].tolist() == ["t02.html"] and manifest["manager"].isna().all()
    assert (tmp_path / "t02.html").read_text(encoding="utf-8") == manager_report(
        sample_release, survey, units, team="t02", wave=WAVE
    )
    with pytest.raises(ValueError, match="teams must be units of kind team"):
        write_manager_reports(sample_release, survey, units, wave=WAVE, out_dir=tmp_path, teams=["org"])


# --------------------------------------------------------------------------- cadence


def _team_cadence(release, team, item="cadence"):
    rows = _audience_rows(release, team)
    rows = rows[(rows["unit"] == team) & rows["measure"].astype(str).str.startswith(f"{item}:share:")]
    return {str(m).rsplit(":", 1)[1]: v for m, v in zip(rows["measure"], rows["value"], strict=True)}


def _section(html, anchor):
    return html.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_rhythm_shows_published_cadence_and_length(sample_reports, sample_release, survey):
    out, manifest = sample_reports
    shown = suppressed = 0
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        html = (out / name).read_text(encoding="utf-8")
        rhythm = _section(html, "h-rhythm")
        for item, scale in (("cadence", "cadence"), ("meeting_length", "length")):
            shares = _team_cadence(sample_release, team, item)
            if shares:
                shown += 1
                for code, v in shares.items():
                    assert f"{survey.scales[scale].label_of(code)}: {v:.0f}%" in rhythm, (team, code)
            else:
                suppressed += 1
        n_bars = rhythm.count('class="dist rhythm-dist"')
        n_off = rhythm.count("rhythm-suppressed")
        assert n_bars + n_off == 2, team
        assert n_bars == sum(
            bool(_team_cadence(sample_release, team, i)) for i in ("cadence", "meeting_length")
        )
        if n_off:
            assert "Not published: fewer than 10 people in your team answered" in rhythm
    assert shown and suppressed


def test_same_cadence_comparison(sample_reports, sample_release, survey):
    out, manifest = sample_reports
    compared = 0
    for team, name in zip(manifest["team"], manifest["file"], strict=True):
        html = (out / name).read_text(encoding="utf-8")
        shares = _team_cadence(sample_release, team)
        para = html.split('id="same-cadence"')[1].split("</p>")[0]
        if not shares:
            assert "not published: your team's cadence is not published" in para, team
            assert "same cadence</th>" not in html, team
            continue
        mode = max(shares, key=lambda c: (shares[c], -list(survey.scales["cadence"].codes).index(c)))
        label = survey.scales["cadence"].label_of(mode)
        rows = _audience_rows(sample_release, team)
        org = rows[(rows["unit"] == "org") & (rows["cut"] == f"cadence={mode}")]
        if org.empty:
            assert "not published" in para, team
            continue
        compared += 1
        assert f'("{label}")' in para and "same cadence</th>" in html, team
        table = html.split('id="scores"')[1].split("</table>")[0]
        for c in survey.constructs:
            hit = org[org["measure"] == f"{c}:mean"]
            if len(hit):
                row = table.split(survey.constructs[c].label)[1].split("</tr>")[0]
                assert re.search(rf'<td class="num"[^>]*>{hit["value"].item():.2f}</td>\s*$', row), (team, c)
    assert compared


def test_depth_by_cadence_table(sample_reports, sample_release, survey):
    out, _ = sample_reports
    html = (out / "t01.html").read_text(encoding="utf-8")
    table = html.split('id="depth-by-cadence"')[1].split("</table>")[0]
    rows = _audience_rows(sample_release, "t01")
    depth = rows[(rows["unit"] == "org") & (rows["measure"] == "depth:mean") & (rows["cut"] != "all")]
    assert len(depth) >= 2
    for cut, v, n in zip(depth["cut"].astype(str), depth["value"], depth["n"], strict=True):
        label = survey.scales["cadence"].label_of(cut.split("=", 1)[1])
        assert label in table
        assert re.search(rf'<td class="num"[^>]*>{v:.2f}</td><td class="num"[^>]*>{n}</td>', table)


def test_cadence_not_published_wording(survey):
    rel, units = _hand_release(dict.fromkeys(survey.constructs, 3.0))
    html = manager_report(rel, survey, units, team="tx", wave="2026Q2")
    rhythm = _section(html, "h-rhythm")
    assert rhythm.count("rhythm-suppressed") == 2 and "Depth by cadence is not published" in rhythm
    assert "your team's cadence is not published" in html and "same cadence</th>" not in html
    # a published team distribution and organisation cadence cut: the comparison appears
    extra = [
        ("manager:tx", "2026Q2", "tx", "all", f"cadence:share:{code}", share, 12)
        for code, share in (("weekly", 25.0), ("biweekly", 75.0), ("monthly", 0.0))
    ]
    extra += [("manager:tx", "2026Q2", "org", "cadence=biweekly", "depth:mean", 3.21, 20)]
    extra += [("manager:tx", "2026Q2", "org", "cadence=weekly", "depth:mean", 3.05, 15)]
    rel2 = pd.concat([rel, pd.DataFrame(extra, columns=rel.columns)], ignore_index=True)
    html = manager_report(rel2, survey, units, team="tx", wave="2026Q2")
    assert '("Every two weeks")' in html and "same cadence</th>" in html
    table = html.split('id="depth-by-cadence"')[1].split("</table>")[0]
    assert "3.21" in table and "3.05" in table and "(most common in your team)" in table
    assert "Every week: 25%" in html and "Every two weeks: 75%" in html
    assert unexplained_numbers(html, rel2, waves=WAVES) == []
