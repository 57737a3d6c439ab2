"""persistent_pain across messages: modification, how long, and whether it is improving."""
from __future__ import annotations

import json

import pytest

from bot.safety.rules import RuleSet
from bot.safety.timeline import Timeline


@pytest.fixture(scope="module")
def cues():
    return RuleSet.load().timeline_cues


def _run(cues, *messages: str) -> Timeline:
    timeline = Timeline()
    for text in messages:
        timeline = Timeline.from_dict(json.loads(json.dumps(timeline.updated(text, cues).to_dict())))
    return timeline


@pytest.mark.parametrize("messages", [
    ["it hasn't improved after a week of changing how I stretch"],
    ["I've been doing the bent-knee version", "it's been two weeks", "no better"],
    ["keeping a micro-bend", "for about 10 days now", "still the same"],
    ["I've been using a strap since last month", "it's getting worse"],
    ["I've been doing the bent knee version for a week and a half", "not getting better"],
    ["it's no better", "I've been doing the gentler version for two weeks"],
    ["pain's been hanging about for 9 days despite me backing right off"],
    ["a week+ of lighter hammy work and the ache behind my knee hasn't budged"],
    ["day 1 of the gentle strap stretch: 6/10. day 12: 6/10. nothing is shifting"],
    ["this is my third week of stretching more carefully and the ache hasn't changed one bit"],
    ["it's been ten days of doing the stretches gently and the knee is just as sore"],
    ["Switched to the easy version on Mon 3rd. Mon 6, Tue 6, Wed 6, Thu 6, Fri 6, Sat 6, Sun 6, Mon 6. That's 8 days."],
    ["Gentle stretches since the start of the month, now the 12th and the pain behind my knee hasn't budged."],
    ["it's the tenth day of doing it the soft-knee way and it hurts the same"],
    ["Started the gentle routine on the 2nd. Today is the 16th and it's exactly where it was."],
    ["It has hurt for 10 days even though I do the gentler version every day, and it's no better."],
    # a weekday diary that runs past a week, dates with a month, "for ..." after the routine it belongs to
    ["Gentle strap stretches only. Mon 5/10. Thu 5/10. Sun 6/10. Following Wed 5/10. Nothing's changing."],
    ["Gentler routine log: 2 June 5/10, 6 June 5/10, 9 June 5/10, 13 June 5/10. No change at all."],
    ["been doing the soft-knee version for about a week and a half and the pain behind my knee is the same"],
    ["pain behind knee, ten days with the gentler stretches, no better"],
    ["Nine days of the bent-knee stretch hasn't touched it."],
    ["fortnight of the gentle routine. still 6/10 behind the knee. was 6/10 at the start."],
    ["it's been ten days on the easier routine and the pain behind the knee is stubbornly the same"],
    ["cut out all the aggressive stretching three weeks ago, the ache is just as bad as it was"],
    ["I'm on day 16 of changing my routine. Improvement: zero."],
    ["it's been 8 days of doing it the gentler way and still no better. when does it usually start to improve?"],
    ["been doing the 'nice' version for like 2 weeks now, no locking out, and it's still grim. zero progress"],
    ["Is it time to see someone if a week and a half of modified stretches hasn't changed the pain?"],
    ["it's hurt every day for 9 days since I switched to the gentle version, and it's no different"],
    ["pain log since switching to the gentle routine: wk1 avg 5, wk2 avg 5.5"],
    ["Two full weeks doing it your way. Back of knee hurts the same."],
    # a negation of the improvement does not deny the change; the routine held all along; new words for no change
    ["the ache hasn't improved in 12 days of modified stretching"],
    ["sore behind the knee for eleven days, even though I've stuck to the easy version. no better"],
    ["twelve days on the softer stretches and I'm not getting anywhere"],
    ["a fortnight of gentle stretching and the knee is as bad as the first day"],
    # "locking" takes "my knee" as its object: "my knee" starts no new clause, so the two weeks are the change's
    ["Stopped locking my knee out two weeks ago and started using a strap, and honestly I'm no better. Still sore."],
    # time told as how far in ("twelve days in, ..."), an adjective inside the duration, the routine "kept at",
    # a not-improving phrase with an adjective, and the person's own words after someone else's opinion
    ["Changed how I stretch like you said. Twelve days in, still no improvement behind the knee."],
    ["I have kept the knee soft with a towel for eight consecutive days: no noticeable change in the pain."],
    ["the hinging thing you suggested... kept at it 9 days straight, knee pain not improved"],
    ["My physio thinks it's tendons but it's two weeks of the gentler routine and the pain is the same."],
    ["been doing the gentle ones for over a weak now and the pain behind my knee is no better"],
    ["I thought ten days of going easy would fix it. It's been twelve days. It hasn't."],
    ["Since I modified the stretch 15 days ago my pain score has hovered around 5."],
    ["Two weeks of very conservative stretching and the pain is stuck at the same level."],
])
def test_persistent(cues, messages):
    assert _run(cues, *messages).status(cues.min_days) == "persistent"


@pytest.mark.parametrize("messages", [
    ["I've been doing the bent-knee version for a week and it's getting better"],
    ["Two weeks of the softer knee and it's better every day, almost gone now."],
    ["Started the strap stretch on the 1st. Today's the 3rd and it still hurts."],
    ["pain log since switching to the gentle routine: wk1 avg 6, wk2 avg 3"],
    ["What should I do if the pain hasn't improved after a week of gentle stretching?"],
    ["A client of mine says her pain is unchanged after two weeks of the gentle stretches."],
    ["It has hurt for 10 days; I started the gentler version yesterday and it's no better."],
    ["bent knee version for two weeks", "much better now"],
    ["it has hurt for three weeks", "I started the bent-knee version yesterday", "no better"],
    ["It's been hurting for three weeks, I only started keeping a micro-bend yesterday and it's no better"],
    ["I've been doing the bent knee version for 4 days, no better"],
    ["it's been two weeks and no better"],
    ["I haven't changed how I stretch", "it's been two weeks", "no better"],
    ["I'll try the bent knee version", "it's been two weeks", "no better"],
    ["my friend has been using a strap for two weeks and it's no better"],
    ["If the pain is still there after a week of doing it gently, what would you suggest?"],
    ["My brother says his knee pain hasn't changed after two weeks of gentle stretching."],
    ["two weeks of the gentle routine and i'm basically pain free now"],
    ["my mate went for a gentle jog last week and the pain is no better"],
    ["It hasn't gone away completely after two weeks of the easier stretch, but it's about half of what it was."],
    ["Mon 5/10, Tue 4/10, Wed 5/10: gentle stretches since Monday and no better"],
    # a diary whose first entry names the routine between the day and its score, and falls
    ["Day 1 on the gentle version: 5. Day 4: 3. Day 7: 2."],
    ["my pain's been around for weeks but I've been doing the same hard stretches, I haven't tried the gentle ones"],
    # "half as bad as it was" is improving; someone else's timeline stays theirs
    ["ten days of the gentle version and it is half as bad as it was"],
    ["My sister says hers has been the same through two weeks of the gentle version."],
    ["a weak knee after a week of the gentle version, getting better"],
])
def test_not_persistent(cues, messages):
    assert _run(cues, *messages).status(cues.min_days) != "persistent"


@pytest.mark.parametrize(("messages", "expected"), [
    (["I've been doing the bent knee version and it's no better"], "possible"),
    (["I've been keeping a micro-bend for two weeks"], "possible"),
    (["I've been keeping a micro-bend for two weeks", "it's getting better"], None),
    (["I've been keeping a micro-bend for three days"], None),
])
def test_possible_is_worth_asking(cues, messages, expected):
    assert _run(cues, *messages).status(cues.min_days) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # one message telling the pain lasting ten days or more, the gentler stretching and no change (reading 32)
    ("pain behind my knee for two weeks, I already changed to the gentle stretch, it is the same pain", "persistent"),
    ("weeks of gentle stretching, still hurts", "persistent"),
    ("after 8 days of gentle stretches it is not improving and I could not walk on it this morning", "persistent"),
    # a change only just made, made on the assistant's advice, or old history: asked; someone else's: not the writer's
    ("pain behind my knee for two weeks, I just switched to the gentle version, no better", "possible"),
    ("pain for two weeks now. I changed the stretch like you said and it is still the same", "possible"),
    ("my wife has had the same knee pain for two weeks even with the gentler stretches", None),
    ("in 2017 I had knee pain for months that did not improve however gently I stretched", "possible"),
])
def test_one_message_telling_long_pain_gentler_stretching_and_no_change(cues, text, expected):
    assert Timeline().updated(text, cues).status(cues.min_days) == expected


@pytest.mark.parametrize(("text", "days"), [
    ("bent knee version for two weeks", 14), ("bent knee version for 10 days", 10),
    ("bent knee version since last month", 30), ("bent knee version for a week and a half", 10.5),
    ("bent knee version for a couple of weeks", 14), ("bent knee version for 2 wks", 14),
    ("bent knee version for a fortnight", 14), ("bent knee version since yesterday", 1),
    ("bent knee version for a few days", 3), ("bent knee version for nearly a week", 6),
    ("day 9 of the bent knee version", 9), ("my third week of the bent knee version", 15),
    ("bent knee version every night for 8 nights", 8), ("days 1-4 on the bent knee version, days 9-11 too", 11),
    ("two Sundays ago I started the bent knee version", 10), ("three Mondays ago I switched to the strap", 17),
    ("2/6 switched to the strap stretch. 5/6 pain 5/10. 12/6 pain 5/10", 10),
    ("modified stretching since 1 week plus 3 days", 10), ("the gentle version for a week and two days", 9),
    ("bent knee version x 2/52", 14), ("pain unchanged after 10/7 of the bent knee version", 10),
    ("Self: 8/7 bent knee version, no change", 8),
    ("2/7 switched to the strap stretch. 5/7 pain 5/10. 12/7 pain 5/10", 10),
])
def test_durations(cues, text, days):
    assert Timeline().updated(text, cues).modified_days == days


def test_latest_statement_about_progress_wins(cues):
    t = _run(cues, "bent knee for two weeks", "it was getting better", "now it's getting worse again")
    assert t.improving is False
    assert _run(cues, "bent knee for two weeks", "no better", "actually it's getting better").improving is True


def test_round_trip_and_tolerant_from_dict():
    t = Timeline(modifying=True, modified_days=14.0, pain_days=None, improving=False)
    assert Timeline.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    assert Timeline.from_dict({}) == Timeline()
    assert Timeline.from_dict(None) == Timeline()
    assert Timeline.from_dict({"modified_days": "x", "improving": "yes", "other": 1}) == Timeline()


def test_read_reports_the_spans_that_changed_it(cues):
    text = "bent knee version for two weeks, no better"
    t, spans = Timeline().read(text, cues)
    assert t.status(cues.min_days) == "persistent"
    assert [text[a:b] for a, b in spans] == ["bent knee", "two weeks", "no better"]


def test_day_ranges_and_scores_out_of_ten_are_not_dates(cues):
    """"day 3 - 5/10" is day 3 (5/10 is a score, not a range), and scores alone make no diary of dates."""
    assert Timeline().updated("day 3 - 5/10 on the bent knee version", cues).modified_days == 3
    assert Timeline().updated("bent knee version: 5/10, 6/10, 5/10, 5/10", cues).modified_days is None


def test_day_month_dates_are_not_clinicians_durations(cues):
    """"2/52" is two weeks wherever it stands, but "3/7" is a day of July unless a duration's word comes before it
    ("after 10/7", "x 10/7"): a date alone says nothing of how long."""
    assert Timeline().updated("3/7 switched to the strap stretch, pain unchanged", cues).modified_days is None
    assert Timeline().updated("modified stretching since 10/7", cues).modified_days is None
    assert Timeline().updated("Symptoms 3/52, modified stretching x 10/7", cues).modified_days == 10


def test_a_fall_told_after_a_flat_start_is_improving(cues):
    text = "started the strap stretch ten days ago. first days the same, then it started dropping"
    t = Timeline().updated(text, cues)
    assert t.modified_days == 10 and t.improving is True
