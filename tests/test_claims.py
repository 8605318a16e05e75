"""The reproduction scoreboard (eqrep.claims): every claim complete and valid, the verdict rules,
verdicts that follow the manifests, and the page, README and chapter tables rendered from one registry."""

import copy
import importlib.util
import re
import sys

import numpy as np
import pytest

import eqrep.claims.registry as registry
from eqrep import claims
from eqrep.claims import (
    CHAPTERS,
    CLAIMS,
    NO,
    NOT_ATTEMPTED,
    PAPERS,
    PARTLY,
    PENDING,
    VERDICTS,
    YES,
    agrees,
    at_least,
    at_most,
    claims_table,
    evaluate,
    evaluate_all,
    holds,
    stepwise,
    within,
)
from eqrep.shipped import REPRODUCE

from conftest import ROOT


def _scoreboard_tool():
    spec = importlib.util.spec_from_file_location("scoreboard_tool", ROOT / "tools" / "scoreboard.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scoreboard_tool", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results():
    return {r.claim.id: r for r in evaluate_all()}


# --- the registry ----------------------------------------------------------------------------------

def test_at_least_30_claims_over_the_three_papers():
    assert len(CLAIMS) >= 30
    per_paper = {p: sum(c.paper == p for c in CLAIMS) for p in PAPERS}
    assert set(per_paper) == {"000", "001", "003"} and min(per_paper.values()) >= 5, per_paper


def test_every_entry_is_complete_and_valid():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    for c in CLAIMS:
        assert re.fullmatch(r"00[013]-[a-zA-Z0-9-]+[A-Za-z0-9]", c.id) and c.id.startswith(c.paper), c.id
        assert c.paper in PAPERS and c.chapter in CHAPTERS, c.id
        assert (ROOT / "chapters" / f"{CHAPTERS[c.chapter]}.md").exists(), c.id
        assert c.where.strip() and len(c.says) > 20, c.id
        assert set(c.sources) <= set(REPRODUCE), f"{c.id}: unknown shipped model in {c.sources}"
        if c.attempted:
            assert c.rule is not None and c.rule.text.startswith("yes if") and "no" in c.rule.text, c.id
            assert c.cause.strip(), f"{c.id}: no cause for a verdict other than yes"
        else:
            assert c.rule is None and c.cause.startswith("Not attempted:"), c.id


def test_every_claim_evaluates_to_a_verdict_with_its_number_cause_and_commands(results):
    for r in results.values():
        assert r.verdict in VERDICTS, r.claim.id
        if r.verdict in (YES, PARTLY, NO):
            assert r.measured is not None and r.ours and "not recorded" not in r.ours, r.claim.id
        if r.verdict != YES:
            assert r.cause and "?" not in re.sub(r"“[^”]*”|\"[^\"]*\"", "", r.cause), (r.claim.id, r.cause)
        assert r.commands[-1] == f"python -m eqrep.claims show {r.claim.id}"
        assert r.commands[:len(r.claim.sources)] == [REPRODUCE[s] for s in r.claim.sources]
        assert len(r.commands) == len(r.claim.sources) + 1 + bool(r.claim.pending)


def test_no_claim_is_pending(results):
    """A pending claim's number is computed only in a chapter: record it into the shipped manifest."""
    pending = {i: r.claim.pending for i, r in results.items() if r.verdict == PENDING}
    assert not pending, f"not recorded: {pending}"


def test_most_verdicts_come_from_the_manifests(results):
    measured = [r for r in results.values() if r.verdict in (YES, PARTLY, NO)]
    assert len(measured) >= 30
    assert sum(r.verdict == NOT_ATTEMPTED for r in results.values()) < len(results) / 4


def test_the_registry_types_no_number_of_ours():
    """Our numbers come from measures; the registry's source holds the papers' numbers only."""
    source = (ROOT / "src" / "eqrep" / "claims" / "registry.py").read_text()
    for r in evaluate_all():
        if r.measured is not None and isinstance(r.measured.value, float) and 0.01 <= abs(r.measured.value) < 1:
            assert f"{abs(r.measured.value):.4f}" not in source, r.claim.id  # the papers print 3 decimals


# --- the rules ---------------------------------------------------------------------------------------

def test_the_rules_by_hand():
    rule = at_least(12, 7)
    assert [rule(v) for v in (12, 13, 7, 6)] == [YES, YES, PARTLY, NO]
    rule = at_most(0.1, 0.5)
    assert [rule(v) for v in (0.05, 0.1, 0.3, 0.6)] == [YES, YES, PARTLY, NO]
    rule = within(0.915, 0.01, 0.03)
    assert [rule(v) for v in (0.92, 0.90, 0.89, 0.88)] == [YES, PARTLY, PARTLY, NO]
    rule = agrees(8.90, 0.70)
    assert rule((9.5, 0.5)) == YES and rule((11.0, 0.2)) == PARTLY and rule((19.5, 3.7)) == NO
    assert rule((11.5, 3.0)) == PARTLY  # within 2 standard errors but 29 % off: not yes
    rule = stepwise("ranking", "cause")
    assert [rule(v) for v in ((True, True), (True, False), (False, True), (False, False))] == [YES, PARTLY, NO, NO]
    assert holds("x")(True) == YES and holds("x")(False) == NO
    with pytest.raises(ValueError):
        stepwise("only one")


def test_table_4_verdict_by_hand(results):
    """Issue 20: ranking yes, cause no. Recomputed here from the manifests, not via the registry."""
    def table(name):
        return {(t["model"], t["group"]): (t["test_accuracy_mean"], t["test_accuracy_std"])
                for t in claims.manifest(name)["table"]}

    main, x, zero = table("penalty_ddmnist"), table("penalty_ddmnist_input"), table("penalty_ddmnist_input_lambda0")
    for g in ("C4", "D1", "D4"):
        r = results[f"001-t4-ranking-{g}"]
        ranking = x[("penalty", g)][0] > main[("cnn_aug", g)][0]
        cause = x[("penalty", g)][0] - zero[("penalty", g)][0] > max(x[("penalty", g)][1], zero[("penalty", g)][1])
        assert tuple(r.measured.value) == (ranking, cause)
        assert r.verdict == ((YES if cause else PARTLY) if ranking else NO)
        if r.verdict == PARTLY:
            assert r.cause.startswith("Ranking yes, cause no.")


def test_counts_and_errors_by_hand(results):
    # C_2: the paper's rows 22/20 ... are all within 10 % of 21 + 21, and so are ours
    assert registry.paper_runs_near_regular(registry.PF_TABLE1, "C_2", 42) == 5
    assert registry.paper_runs_near_regular(registry.PF_TABLE2, "D_3", 30) == 3  # rows 2 and 3 are off
    assert registry.paper_runs_near_regular(registry.PF_TABLE3, "C_4", 64) == 4  # row 5 has an 18
    # Table 1 of Feige: our distance classifier's error is the mean of the shipped replicates
    distance = claims.manifest("equivae")["replicates"]["distance"]
    r = results["003-t1-distance"]
    assert r.measured.value[0] == pytest.approx(100 * np.mean(distance))
    assert r.verdict == (YES if abs(100 * np.mean(distance) - 0.82) <= 0.2 else r.verdict)
    if abs(100 * np.mean(distance) - 0.82) > 2 * 0.25 * 0.82:
        assert r.verdict == NO


def test_a_broken_manifest_value_changes_the_verdict(monkeypatch, results):
    real = registry.manifest

    def broken(name):
        m = copy.deepcopy(real(name))
        if name == "penalty_ddmnist_input_lambda0":  # the lambda = 0 control now much worse: the penalty helps
            for t in m["table"]:
                t["test_accuracy_mean"] -= 0.2
        if name == "equivae":  # the paper's Table 1 error
            m["replicates"]["distance"] = [0.0080, 0.0082, 0.0084]
        return m

    assert results["001-t4-ranking-C4"].verdict == PARTLY and results["003-t1-distance"].verdict == NO
    monkeypatch.setattr(registry, "manifest", broken)
    assert evaluate("001-t4-ranking-C4").verdict == YES
    assert evaluate("003-t1-distance").verdict == YES


def test_a_live_value_gets_the_same_rule_and_check_notices_a_change(results):
    r = evaluate("003-fig3-kl", live=0.2)
    assert r.verdict == NO and r.live and "(this run)" in claims_table("09", live={"003-fig3-kl": 0.2})
    if results["003-fig3-kl"].verdict == YES:
        assert claims.check("003-fig3-kl", 5.0) == YES
        with pytest.raises(AssertionError, match="003-fig3-kl"):
            claims.check("003-fig3-kl", 0.2)


# --- the renderings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_each_chapter_table_has_one_row_per_claim(chapter, results):
    table = claims_table(chapter)
    lines = table.splitlines()
    assert lines[0].startswith("| Claim | Paper | Ours | Verdict |") and lines[1].startswith("|---|")
    mine = claims.claims_for(chapter)
    assert len(lines) == 2 + len(mine) and mine
    for line, c in zip(lines[2:], mine, strict=True):
        assert line.count(" | ") == 4 and f"**{results[c.id].verdict}**" in line
    assert claims_table(CHAPTERS[chapter]) == table == claims_table(str(int(chapter)))


def test_the_scoreboard_page_is_the_rendering_and_in_the_book():
    tool = _scoreboard_tool()
    assert tool.PAGE.read_text() == claims.scoreboard_page(), "book/scoreboard.md is stale: python tools/scoreboard.py"
    assert "book/scoreboard" in (ROOT / "book" / "_toc.yml").read_text()
    book_target = (ROOT / "Makefile").read_text().split("\nbook:", 1)[1].split("\n\n", 1)[0]
    assert "tools/scoreboard.py" in book_target.split("jupyter-book")[0], "make book must write the page first"
    page = tool.PAGE.read_text()
    assert all(f"`{c.id}`" in page for c in CLAIMS)


def test_readme_summary_is_the_rendering():
    tool = _scoreboard_tool()
    readme = (ROOT / "README.md").read_text()
    assert readme == tool.readme_with_summary(readme, claims.readme_summary()), \
        "README's reproduction summary is stale: python tools/scoreboard.py"
    assert readme.count(claims.README_BEGIN) == 1 and readme.count(claims.README_END) == 1


def test_readme_and_table_4_agree(results):
    """Issue 20's disagreement: README must not call Table 4 unreproduced while the verdict is partly."""
    readme = (ROOT / "README.md").read_text()
    summary = readme.split(claims.README_BEGIN)[1].split(claims.README_END)[0]
    for g in ("C4", "D1", "D4"):
        verdict = results[f"001-t4-ranking-{g}"].verdict
        section = "Reproduced in part" if verdict == PARTLY else "Not reproduced here" if verdict == NO else None
        if section:
            part = summary.split(f"**{section}:**")[1].split("**")[0]
            assert f"{g}: the penalty model beats the augmented CNN" in part
