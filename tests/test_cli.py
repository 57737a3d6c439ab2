"""The `kneebot` command as an operator or evaluator uses it (real model, real index)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def subcommands() -> set[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(sub.choices)


def test_readme_and_help_name_the_same_commands():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"kneebot (\w[\w-]*)", readme)) & subcommands()
    assert documented == subcommands(), "every subcommand is documented in the README"
    spec_commands = {"chat", "web", "discord", "index", "ask", "eval", "eval-retrieval"}
    # SPEC's commands, plus the red-flag evaluation and training commands (SPEC: "retrained by one command")
    assert subcommands() == spec_commands | {"eval-red-flags", "train-red-flags", "purge"}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, check=True)
    assert all(c in out.stdout for c in spec_commands)


def test_readme_gives_the_two_fresh_machine_commands():
    readme = (ROOT / "README.md").read_text()
    assert "\n    make web\n" in readme and "\n    make test\n" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_missing_discord_token_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["discord"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.slow
def test_index_then_ask(tmp_path, capsys):
    corpus = ["--corpus", str(ROOT / "corpus"), "--index", str(tmp_path / "index"), "--db", str(tmp_path / "db")]
    assert main([*corpus, "index"]) == 0
    assert "indexed" in capsys.readouterr().out
    assert (tmp_path / "index" / "manifest.json").exists()
    assert main([*corpus, "ask", "what is a baker's cyst"]) == 0
    out = capsys.readouterr().out
    assert "Baker" in out and "popliteal" in out.lower()
    assert main([*corpus, "ask", "best pizza in town"]) == 0
    assert "Nothing in the guidance answers this" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_exit_code_and_json(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("dialogues:\n  - id: gives-way\n    turns:\n      - user: my knee gave way\n"
                    "        expect: {red_flags: [knee_instability], triage: seek_care}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dialogues:\n  - id: wrong\n    turns:\n      - user: my knee gave way\n"
                   "        expect: {no_red_flags: true}\n")
    out_json = tmp_path / "r.json"
    assert main(["--db", str(tmp_path / "db"), "eval", str(good), "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    assert data["summary"]["red_flag_recall"] == 1.0
    assert data["dialogues"][0]["turns"][0]["reply"]["triage"] == "seek_care"
    assert main(["--db", str(tmp_path / "db"), "eval", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  wrong" in out and "no_red_flags" in out


def test_malformed_dialogue_file_is_reported(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dialogues:\n  - id: x\n    turns:\n      - user: hi\n        expect: {asks: true, triag: x}\n")
    assert main(["eval", str(bad)]) == 2
    assert "bad.yaml:4" in capsys.readouterr().err


def test_a_dialogue_key_given_twice_is_reported_not_overwritten(tmp_path, capsys):
    bad = tmp_path / "twice.yaml"
    bad.write_text("dialogues:\n  - id: x\n    turns:\n      - user: hi\n        user: my knee gave way\n"
                   "        expect: {asks: true}\n")
    assert main(["eval", str(bad)]) == 2
    assert "'user' given twice" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_retrieval_prints_the_three_retrievers(tmp_path, capsys):
    out_json = tmp_path / "m.json"
    assert main(["eval-retrieval", str(ROOT / "tests" / "retrieval" / "queries.yaml"), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert all(m in printed for m in ("dense", "bm25", "hybrid", "recall@3", "mrr"))
    figures = json.loads(out_json.read_text())
    assert set(figures) == {"dense", "bm25", "hybrid"}
    assert figures["hybrid"]["recall@3"] >= 0.95 and figures["hybrid"]["mrr"] >= 0.85


def test_eval_red_flags_reports_rules_and_layer(tmp_path, capsys):
    blind = tmp_path / "set.yaml"
    blind.write_text(
        "round: test\nwriter: t\nmessages:\n"
        "  - {text: \"my knee gave way on the stairs and now I can't put any weight on it\","
        " flags: [knee_instability, cannot_bear_weight], style: plain, kind: report}\n"
        "  - {text: \"what are the warning signs I should look out for?\", flags: [], style: plain,"
        " kind: informational}\n", encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["eval-red-flags", str(blind), "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert set(figures) == {"rules alone", "rules + learned layer"}
    for run in figures.values():
        assert run["flag_pairs"] == 2 and run["silent_messages"] == 1
        assert run["recorded_directly"] == 1.0 and run["false_alarms"] == 0.0
    assert "recorded directly" in capsys.readouterr().out


def test_eval_red_flags_names_a_malformed_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("messages:\n  - {text: hi, flags: [not_a_flag]}\n", encoding="utf-8")
    assert main(["eval-red-flags", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "not_a_flag" in err


def test_thresholds_only_on_a_folder_without_a_layer_is_a_clear_error(tmp_path, capsys):
    assert main(["train-red-flags", "--thresholds-only", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "manifest.json" in err and "Traceback" not in err
