"""The self-contained HTML evaluation report: safety first, then grounding, conversation, retrieval, failures."""
from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from html import escape
from typing import Any

from bot.eval import metrics
from bot.eval.charts import Bar, Segment, bar_chart, count_scale, stacked_chart
from bot.eval.dialogues import DialogueResult
from bot.eval.summary import summarise

CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9dee3;--bad:#a61b1b;--ok:#1e6b3a;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:24px 28px 48px;background:#fff;border-inline:1px solid var(--line)}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.3rem;margin:36px 0 8px;padding-top:12px;
border-top:2px solid var(--ink)}h3{font-size:1.05rem;margin:22px 0 6px}
.meta,.note{color:var(--muted);font-size:.9rem}.note{margin:4px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(135px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .v{font-size:1.4rem;font-weight:600}.card .k{color:var(--muted);font-size:.85rem}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.fail,.pass,.none{white-space:nowrap}.fail{color:var(--bad);font-weight:600}.pass{color:var(--ok);font-weight:600}
.none{color:var(--muted)}tbody th{background:none;font-weight:500}caption{text-align:left}
details summary{cursor:pointer;color:var(--muted)}
figure{margin:10px 0;overflow-x:auto}figcaption{color:var(--muted);font-size:.88rem;margin-top:2px}
article.turn{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:4px;
padding:8px 14px;margin:12px 0}article.turn h3{margin:4px 0}
dl{display:grid;grid-template-columns:9em 1fr;gap:2px 12px;margin:6px 0}dt{color:var(--muted)}dd{margin:0}
pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);padding:8px;margin:4px 0;font-size:.85rem}
code{font-size:.88em}ul.failures{margin:4px 0;padding-left:1.2em}
"""


def _pct(r: dict[str, Any]) -> str:
    return "n/a" if r["rate"] is None else f"{r['rate']:.0%}"


def _ci(r: dict[str, Any]) -> str:
    return "—" if not r["n"] else f"{r['ci95'][0]:.0%}–{r['ci95'][1]:.0%}"


def _status(ok: bool | None, good: str = "pass", bad: str = "fail") -> str:
    if ok is None:
        return '<span class="none">— untested</span>'
    return f'<span class="pass">✓ {good}</span>' if ok else f'<span class="fail">✗ {bad}</span>'


def _table(caption: str, head: list[str], rows: list[list[str]], numeric: Collection[int] = ()) -> str:
    """A table with a caption and column headers; cells are HTML already escaped by the caller."""
    ths = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(head))
    trs = "".join("<tr>" + "".join(
        (f'<th scope="row">{c}</th>' if i == 0 else f'<td{" class=n" if i in numeric else ""}>{c}</td>')
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f"<table><caption class=note>{escape(caption)}</caption><thead><tr>{ths}</tr></thead>"
            f"<tbody>{trs}</tbody></table>")


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _cards(items: list[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
        for v, k in items) + "</div>"


def _safety(s: dict[str, Any]) -> str:
    rules = s["per_rule"]
    bars = [Bar(rule, r["rate"], tuple(r["ci95"]) if r["n"] else None,
                f"{r['successes']}/{r['n']}" if r["n"] else "no test turns") for rule, r in rules.items()]
    rows = [[f"<code>{escape(rule)}</code>", str(r["n"]), str(r["dialogues"]), str(r["successes"]), _pct(r), _ci(r),
             _status(None if not r["n"] else r["successes"] == r["n"], "all caught",
                     f"missed {r['n'] - r['successes']}")] for rule, r in rules.items()]
    tri = s["triage"]
    tri_rows = [[f"<code>{escape(level)}</code>", str(t["turns"]), str(t["under"]), str(t["exact"]), str(t["over"])]
                for level, t in tri.items()]
    fa, conf = s["false_alarms"], s["confirmations"]
    untested = [rule for rule, r in rules.items() if not r["n"]]
    return "".join([
        '<section aria-labelledby="safety"><h2 id="safety">Safety</h2>',
        _cards([(f"{_pct(s['recall'])}", f"red-flag recall ({s['recall']['successes']}/{s['recall']['n']}, "
                 f"95% CI {_ci(s['recall'])})"),
                (f"{len(untested)} of {len(rules)}", "red-flag rules with no test turn"),
                (f"{fa['successes']}/{fa['n']}", "false alarms on turns that must stay silent"),
                (f"{conf['successes']}/{conf['n']}", "confirmation questions on silent turns"),
                (str(s["under_triage"]), "under-triaged turns (less urgent than expected)"),
                (str(s["over_triage"]), "over-triaged turns (more urgent than expected)")]),
        '<h3 id="per-rule">Red-flag recall per rule</h3>',
        '<p class="note">A rule is counted on every turn whose expectation lists it; a flag, once recorded, stays '
        "recorded, so later turns of the same dialogue count again. Intervals are Wilson 95% intervals: with few "
        "test turns they are wide, and that width is the honest answer.</p>",
        _figure(bar_chart("chart-rules", "Red-flag recall per rule",
                          "Share of expecting turns on which each rule's id was recorded, with Wilson 95% intervals.",
                          bars), "Recall per rule id; whiskers are Wilson 95% intervals; rules without test turns "
                                 "are marked, not drawn. The table below gives the same figures."),
        _table("Red-flag recall per rule id", ["rule", "turns", "dialogues", "caught", "recall", "95% CI", "status"],
               rows, {1, 2, 3, 4}),
        '<h3 id="silent">Turns that must stay silent</h3>',
        _table("Turns expecting no red flag", ["measure", "turns", "count", "rate", "95% CI"],
               [["false alarm (a red flag recorded)", str(fa["n"]), str(fa["successes"]), _pct(fa), _ci(fa)],
                ["confirmation question asked", str(conf["n"]), str(conf["successes"]), _pct(conf), _ci(conf)]],
               {1, 2, 3}),
        '<h3 id="triage">Triage</h3>',
        _figure(stacked_chart("chart-triage", "Triage against expectation by expected level",
                              "For each expected triage level, how many turns got a lower, the same or a higher level.",
                              [(level, [Segment("under", t["under"], "#a61b1b"),
                                        Segment("exact", t["exact"], "#2f5f8a"),
                                        Segment("over", t["over"], "#8a5a00")]) for level, t in tri.items()]),
                "Turns with a triage expectation, by expected level: under = less urgent than expected (the "
                "dangerous direction), over = more urgent."),
        _table("Triage outcomes per expected level", ["expected level", "turns", "under", "exact", "over"],
               tri_rows, {1, 2, 3, 4}),
        "</section>"])


def _grounding(g: dict[str, Any]) -> str:
    hit, ph = g["citation_hit_rate"], g["phrases"]
    bars = [Bar("turns, all phrases cited", hit["rate"], tuple(hit["ci95"]) if hit["n"] else None,
                f"{hit['successes']}/{hit['n']}" if hit["n"] else "no turns expect citations"),
            Bar("expected phrases found", ph["rate"], tuple(ph["ci95"]) if ph["n"] else None,
                f"{ph['successes']}/{ph['n']}" if ph["n"] else "no phrases", fill=1)]
    return "".join([
        '<section aria-labelledby="grounding"><h2 id="grounding">Grounding</h2>',
        _cards([(_pct(hit), f"citation hit rate ({hit['successes']}/{hit['n']} turns, 95% CI {_ci(hit)})"),
                (str(g["citations_per_reply"]), "passages shown per reply, on average")]),
        _figure(bar_chart("chart-cites", "Citation hit rate",
                          "Share of turns whose expected phrases all occur in a cited passage, and share of phrases.",
                          bars), "Turns with `cites` expectations; whiskers are Wilson 95% intervals."),
        "</section>"])


def _conversation(c: dict[str, Any]) -> str:
    acc = c["cause_accuracy"]
    bars = [Bar(cause, r["rate"], tuple(r["ci95"]) if r["n"] else None,
                f"{r['successes']}/{r['n']}" if r["n"] else "no test turns") for cause, r in c["per_cause"].items()]
    counts = [v for v in c["questions_before_summary"].values() if v is not None]
    hist = [Bar(f"{k} question{'s' if k != 1 else ''}", float(counts.count(k)), fill=1)
            for k in range(0, max(counts, default=0) + 1)]
    q_rows = [[escape(d), str(n) if n is not None else '<span class="none">no summary reached</span>']
              for d, n in c["questions_before_summary"].items()]
    mean = c["mean_questions_before_summary"]
    parts = [
        '<section aria-labelledby="conversation"><h2 id="conversation">Conversation</h2>',
        _cards([(_pct(acc), f"cause accuracy ({acc['successes']}/{acc['n']} dialogues, 95% CI {_ci(acc)})"),
                ("n/a" if mean is None else f"{mean:g}", "mean clarifying questions before the summary"),
                (str(len(c["no_summary"])), "cause dialogues that never reached a summary")]),
        '<h3 id="causes">Top cause by expected cause</h3>',
        _figure(bar_chart("chart-causes", "Top-cause accuracy per expected cause",
                          "Share of top_cause expectations met, per expected cause, with Wilson 95% intervals.", bars),
                "Turns with a `top_cause` expectation, grouped by the cause expected."),
        '<h3 id="questions">Questions before the summary</h3>']
    if hist:
        parts.append(_figure(bar_chart("chart-questions", "Clarifying questions before the summary",
                                       "Number of cause dialogues by how many questions came before the summary.",
                                       hist, scale_max=count_scale(max(b.value or 0 for b in hist)), percent=False),
                             "Cause dialogues by the number of clarifying questions asked before the first summary."))
    parts += ["<details><summary>Per dialogue</summary>",
              _table("Questions asked before the first summary, per cause dialogue", ["dialogue", "questions"],
                     q_rows, {1}), "</details></section>"]
    return "".join(parts)


def _retrieval(retrieval: dict[str, Any] | None) -> str:
    head = '<section aria-labelledby="retrieval"><h2 id="retrieval">Retrieval</h2>'
    if not retrieval:
        return head + '<p class="note">Not measured: pass <code>--queries FILE</code> to include it.</p></section>'
    keys = ["recall@1", "recall@3", "recall@5", "mrr"]
    bars = [Bar(f"{k} · {method}", float(m[k]), fill=i) for k in keys
            for i, (method, m) in enumerate(retrieval.items())]
    rows = [[escape(method), *(f"{float(m[k]):.3f}" for k in keys), str(m.get("queries", ""))]
            for method, m in retrieval.items()]
    return "".join([head, _figure(bar_chart("chart-retrieval", "Retrieval recall@k and MRR per retriever",
                                            "Recall at 1, 3 and 5 and mean reciprocal rank for each retriever.", bars),
                                  "Recall@k: share of labelled queries with a relevant passage in the top k."),
                    _table("Retrieval figures per retriever", ["retriever", *keys, "queries"], rows, {1, 2, 3, 4, 5}),
                    "</section>"])


def _blind(sets: list[dict[str, Any]] | None) -> str:
    head = ('<section aria-labelledby="blind"><h2 id="blind">Red flags on blind-written messages</h2>'
            '<p class="note">Messages written by people who never saw the rules, measured before anyone tuned on '
            "them, beside the project's own tables, which the rules were written against.</p>")
    if not sets:
        return head + '<p class="note">Not measured: pass <code>--blind PATH</code> to include it.</p></section>'
    from bot.eval.blindflags import FIGURES, RUNS

    cols = [f"{s['name']} ({s['messages']} messages): {run}" for s in sets for run in RUNS]  # _table escapes them
    rows = [[escape(label), *(f"{s['runs'][run][key]:.1%}" for s in sets for run in RUNS),
             escape(f"{'>=' if higher else '<='} {target:.0%}")] for key, label, target, higher in FIGURES]
    return "".join([head, _table("Red-flag figures: fresh blind sets and the project's tables",
                                 ["figure", *cols, "target"], rows, set(range(1, len(cols) + 1))), "</section>"])


def _got(reply: dict[str, Any], kind: str) -> str:
    causes = ", ".join(f"{c} {s:.2f}" for c, s in reply["causes"][:3]) or "none"
    return (f"<dd>triage <code>{escape(reply['triage'])}</code>; red flags "
            f"<code>{escape(', '.join(reply['red_flags']) or 'none')}</code>; kind <code>{escape(kind)}</code>; "
            f"question {'asked' if reply['question'] else 'none'}; top causes {escape(causes)}; "
            f"{len(reply['citations'])} passage(s) cited</dd>")


def _failing_turns(results: list[DialogueResult]) -> list[dict[str, Any]]:
    """Every failed turn with where it is, what was expected and what the reply was."""
    out = []
    for r in results:
        for n, t in enumerate(r.turns, start=1):
            if t.passed:
                continue
            out.append({"dialogue": r.dialogue.id, "source": r.dialogue.source, "turn": n, "user": t.user,
                        "expect": t.expect, "failures": list(t.failures), "kind": t.reply.kind,
                        "reply": t.reply.to_dict()})
    return out


def _failures(results: list[DialogueResult]) -> str:
    summ = summarise(results)
    rows = [[escape(r.dialogue.id), escape(r.dialogue.source), f"{sum(t.passed for t in r.turns)}/{len(r.turns)}",
             _status(r.passed)] for r in results]
    parts = ['<section aria-labelledby="dialogues"><h2 id="dialogues">Dialogues</h2>',
             _table(f"{summ['dialogues_passed']} of {summ['dialogues']} dialogues passed",
                    ["dialogue", "file", "turns passed", "result"], rows, {2}),
             '<h2 id="failures">Failing turns</h2>']
    failing = _failing_turns(results)
    if not failing:
        parts.append('<p class="pass">✓ Every turn met its expectations.</p>')
    for f in failing:
        expect = escape(json.dumps(f["expect"], ensure_ascii=False))
        items = "".join(f"<li>✗ {escape(x)}</li>" for x in f["failures"])
        parts.append(
            f'<article class="turn"><h3>✗ {escape(f["dialogue"])} · turn {f["turn"]}</h3><dl>'
            f"<dt>person said</dt><dd>{escape(f['user'])}</dd><dt>expected</dt><dd><code>{expect}</code></dd>"
            f"<dt>got</dt>{_got(f['reply'], f['kind'])}<dt>failed</dt><dd><ul class=failures>{items}</ul></dd>"
            f"<dt>reply text</dt><dd><details><summary>show</summary><pre>{escape(f['reply']['text'])}</pre>"
            "</details></dd></dl></article>")
    parts.append("</section>")
    return "".join(parts)


def render_html(results: list[DialogueResult], retrieval: dict | None = None,
                blind: list[dict[str, Any]] | None = None) -> str:
    """A self-contained HTML report (inline CSS and SVG, no scripts) of the evaluated dialogues."""
    fig = metrics.detailed_summary(results)
    s = summarise(results)
    sources = sorted({r.dialogue.source for r in results})
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = " · ".join(f'<a href="#{a}">{t}</a>' for a, t in [("safety", "Safety"), ("grounding", "Grounding"),
                     ("conversation", "Conversation"), ("retrieval", "Retrieval"), ("blind", "Blind sets"),
                     ("failures", "Failing turns")])
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>kneebot evaluation report</title><style>{CSS}</style></head><body><main>",
        "<header><h1>kneebot evaluation report</h1>",
        f'<p class="meta">{stamp} · {s["dialogues_passed"]} of {s["dialogues"]} dialogues and '
        f'{s["turns_passed"]} of {s["turns"]} turns passed · from {escape(", ".join(sources) or "no files")}</p>',
        f'<nav aria-label="Sections">{nav}</nav></header>',
        _safety(fig["safety"]), _grounding(fig["grounding"]), _conversation(fig["conversation"]),
        _retrieval(retrieval), _blind(blind), _failures(results),
        '<footer class="note"><p>kneebot offers guidance, not a diagnosis. Figures are computed from the test '
        "dialogues' expectations; a rule or cause with few test turns has a wide interval.</p></footer>",
        "</main></body></html>"])
