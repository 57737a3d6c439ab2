"""The evaluation report: its figures, from hand-built results, and the HTML a person opens."""
import json
from html.parser import HTMLParser

import pytest

from bot.eval import metrics
from bot.eval.dialogues import Dialogue, DialogueResult, Turn, TurnResult, check
from bot.eval.report import render_html
from bot.eval.summary import format_report, summarise, to_json
from bot.ids import Triage
from bot.reply import Citation, Reply

VOID = {"meta", "br", "hr", "img", "input", "link", "path", "rect", "line", "circle"}


def reply(triage="self_care", flags=(), kind="answer", causes=(), cites=(), question=None, text="ok"):
    return Reply(text=text, triage=Triage(triage), red_flags=tuple(flags), question=question, kind=kind,
                 citations=tuple(Citation(f"c{i}", "a.txt", "S", t) for i, t in enumerate(cites)),
                 causes=tuple(causes))


def dialogue(did, *turns):
    """A DialogueResult from (user, expect, reply) triples, checked the way `run` checks them."""
    d = Dialogue(did, tuple(Turn(u, e) for u, e, _ in turns), "hand.yaml")
    return DialogueResult(d, [TurnResult(u, e, r, check(e, r)) for u, e, r in turns])


@pytest.fixture
def results():
    flags = dialogue(
        "gives-way",
        ("my knee gave way", {"red_flags": ["knee_instability"], "triage": "seek_care"},
         reply("seek_care", ["knee_instability"], "escalation")),
        ("and it swelled fast", {"red_flags": ["knee_instability", "rapid_swelling"], "triage": "emergency"},
         reply("seek_care", ["knee_instability"], "escalation")))
    quiet = dialogue(
        "quiet",
        ("pull behind my knee", {"no_red_flags": True, "triage": "self_care"},
         reply("seek_care", ["locking_or_clicking"], "escalation")),
        ("it clicks a bit", {"no_red_flags": True}, reply(kind="confirm", question="Has it locked?")),
        ("no", {"no_red_flags": True, "triage": "self_care"}, reply(kind="question", question="Toes?")),
        ("yes", {"no_red_flags": True}, reply(kind="question", question="Back?")),
        ("no", {"no_red_flags": True, "top_cause": "technique", "cites": ["micro-bend", "spine"]},
         reply(kind="summary", causes=[("technique", 0.8)], cites=["keep a micro-bend in the knee"])))
    unfinished = dialogue(
        "never-summarised",
        ("<script>alert('x')</script> burning", {"top_cause": "sciatic_nerve_tension"},
         reply(kind="question", causes=[("popliteal_fossa", 0.5)], question="Calf?",
               text="<b>reply</b> & <script>alert(2)</script>")))
    return [flags, quiet, unfinished]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), [(10, 10, 0.7225, 1.0), (0, 10, 0.0, 0.2775),
                                                  (5, 10, 0.2366, 0.7634), (1, 1, 0.2065, 1.0)])
def test_wilson_matches_known_values(k, n, lo, hi):
    got = metrics.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)


def test_wilson_without_trials_is_the_whole_range_and_rejects_nonsense():
    assert metrics.wilson(0, 0) == (0.0, 1.0)
    assert metrics.rate(0, 0)["rate"] is None
    with pytest.raises(ValueError):
        metrics.wilson(3, 2)


def test_safety_figures(results):
    s = metrics.safety_figures(results)
    assert s["per_rule"]["knee_instability"] == {"successes": 2, "n": 2, "rate": 1.0,
                                                 "ci95": [0.3424, 1.0], "dialogues": 1}
    assert (s["per_rule"]["rapid_swelling"]["successes"], s["per_rule"]["rapid_swelling"]["n"]) == (0, 1)
    assert s["per_rule"]["cauda_equina_signs"]["n"] == 0 and s["per_rule"]["cauda_equina_signs"]["rate"] is None
    assert len(s["per_rule"]) == 11
    assert (s["recall"]["successes"], s["recall"]["n"]) == (2, 3)
    assert s["silent_turns"] == 5
    assert (s["false_alarms"]["successes"], s["confirmations"]["successes"]) == (1, 1)
    assert s["triage"]["emergency"] == {"turns": 1, "under": 1, "exact": 0, "over": 0}
    assert s["triage"]["self_care"] == {"turns": 2, "under": 0, "exact": 1, "over": 1}
    assert s["triage"]["seek_care"] == {"turns": 1, "under": 0, "exact": 1, "over": 0}
    assert (s["under_triage"], s["over_triage"]) == (1, 1)


def test_grounding_and_conversation_figures(results):
    g = metrics.grounding_figures(results)
    assert (g["citation_hit_rate"]["successes"], g["citation_hit_rate"]["n"]) == (0, 1)
    assert (g["phrases"]["successes"], g["phrases"]["n"]) == (1, 2)
    c = metrics.conversation_figures(results)
    assert (c["cause_accuracy"]["successes"], c["cause_accuracy"]["n"]) == (1, 2)
    assert c["questions_before_summary"] == {"quiet": 2, "never-summarised": None}
    assert c["mean_questions_before_summary"] == 2 and c["no_summary"] == ["never-summarised"]
    assert c["per_cause"]["technique"]["rate"] == 1.0 and c["per_cause"]["sciatic_nerve_tension"]["rate"] == 0.0


def test_json_keeps_spec_summary_keys_and_adds_sections(results):
    data = json.loads(json.dumps(to_json(results, {"hybrid": {"recall@1": 0.5}})))
    assert set(summarise(results)) < set(data["summary"])
    assert {"safety", "grounding", "conversation", "retrieval"} < set(data["summary"])
    assert data["summary"]["safety"]["per_rule"]["rapid_swelling"]["n"] == 1
    assert set(data) == {"summary", "dialogues"}
    assert "safety: red-flag recall 2/3" in format_report(results)


class Outline(HTMLParser):
    """Headings in order, text, and whether every element closes in order."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.headings, self.tags, self.text = [], [], [], [], []
        self._heading = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._heading = [tag, ""]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)
        if self._heading and tag == self._heading[0]:
            self.headings.append(tuple(self._heading))
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading:
            self._heading[1] += data


def outline(page):
    parser = Outline()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_well_formed_with_safety_first(results):
    page = render_html(results, {"dense": {"recall@1": 0.5, "recall@3": 0.75, "recall@5": 1.0, "mrr": 0.6,
                                           "queries": 4}})
    doc = outline(page)
    assert doc.errors == [] and doc.stack == []
    h2 = [text for tag, text in doc.headings if tag == "h2"]
    order = ["Safety", "Grounding", "Conversation", "Retrieval", "Failing turns"]
    assert [h2.index(h) for h in order] == sorted(h2.index(h) for h in order)
    svgs = [a for t, a in doc.tags if t == "svg"]
    assert len(svgs) >= 5 and all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
    assert sum(t == "figcaption" for t, _ in doc.tags) == len(svgs)
    assert any(t == "th" and a.get("scope") == "col" for t, a in doc.tags)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    text = " ".join(doc.text)
    assert "knee_instability" in text and "missed 1" in text and "✗" in text
    assert "recall@5" in text


def test_report_escapes_user_and_reply_text(results):
    page = render_html(results)
    doc = outline(page)
    assert not any(t == "script" for t, _ in doc.tags) and "<script" not in page and "<b>reply" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert('x')</script> burning" in " ".join(doc.text)
    assert "Not measured" in page


def test_blind_set_figures_sit_beside_the_tables_with_their_targets(results):
    runs = {"rules alone": {"recorded_directly": 0.85, "recorded_or_asked": 0.92,
                            "emergency_recorded_directly": 0.9, "false_alarms": 0.107, "silent_asked": 0.08},
            "rules + learned layer": {"recorded_directly": 0.948, "recorded_or_asked": 0.99,
                                      "emergency_recorded_directly": 0.99, "false_alarms": 0.024,
                                      "silent_asked": 0.17}}
    tables = {k: {f: 1.0 if f.startswith("rec") or f.startswith("em") else 0.0 for f in v} for k, v in runs.items()}
    page = render_html(results, blind=[{"name": "fresh, untuned: f93.yaml", "messages": 420, "runs": runs},
                                       {"name": "project's own tables: tests/red_flags", "messages": 600,
                                        "runs": tables}])
    doc = outline(page)
    assert doc.errors == [] and doc.stack == []
    h2 = [text for tag, text in doc.headings if tag == "h2"]
    assert h2.index("Red flags on blind-written messages") < h2.index("Failing turns")
    text = " ".join(doc.text)
    assert "fresh, untuned: f93.yaml (420 messages): rules + learned layer" in text
    assert "94.8%" in text and "17.0%" in text and "100.0%" in text and "<= 15%" in text and ">= 95%" in text
    assert "Not measured: pass" in render_html(results) and "--blind" in render_html(results)


def test_report_with_every_turn_passing_says_so():
    ok = dialogue("fine", ("hi", {"no_red_flags": True}, reply()))
    page = render_html([ok])
    assert "Every turn met its expectations" in page and outline(page).errors == []


@pytest.mark.slow
def test_cli_writes_html_and_json(tmp_path, capsys):
    from bot.cli import main

    html_out, json_out = tmp_path / "r.html", tmp_path / "r.json"
    code = main(["--db", str(tmp_path / "db"), "eval", "tests/dialogues", "--html", str(html_out),
                 "--json", str(json_out), "--blind", "tests/red_flags/blind/regression/f1.yaml"])
    assert code in (0, 1)
    out = capsys.readouterr().out
    assert "safety: red-flag recall" in out and f"report written to {html_out}" in out
    page = html_out.read_text(encoding="utf-8")
    assert "Red-flag recall per rule id" in page and "<code>cauda_equina_signs</code>" in page
    # the blind set's figures beside the tables', rules alone and with the layer, printed and in the page
    assert "rules + learned layer (fresh, untuned: tests/red_flags/blind/regression/f1.yaml)" in out
    assert "project's own tables: tests/red_flags" in " ".join(outline(page).text)
    assert "Not measured: pass <code>--blind" not in page
    assert outline(page).errors == []
    summary = json.loads(json_out.read_text())["summary"]
    assert summary["safety"]["silent_turns"] > 0 and "turn_pass_rate" in summary
