"""Train the learned red-flag layer: `kneebot train-red-flags` (reproducible: fixed seeds, one thread
order, data read in sorted order).

Training data: the blind-written training sets (tests/red_flags/blind/train/) and the project's own
tables (tests/red_flags/<flag>.yaml `record` lists, silent.yaml). Never a fresh or regression set:
those report figures. A tenth of the blind messages (chosen by a hash of their text) is held out;
the thresholds are chosen on it and on the spent fresh sets (tests/red_flags/blind/regression/, other
writers than the training sets), with the rules' own decisions, so that rules and layer together keep
false alarms and questions on silent messages under the budgets below.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.datafile import file_sha256
from bot.safety.blindsets import Message, load_sets, load_tables
from bot.safety.glossary import packaged
from bot.safety.layer import (
    DEFAULT_DIR,
    FORMAT,
    MANIFEST,
    WEIGHTS,
    build_model,
    encode_batch,
    read_in_english,
    trainable_parameters,
    windows,
)
from bot.safety.rules import RuleSet
from bot.safety.thresholds import FALSE_ALARM_BUDGET, FLAGS, QUESTION_BUDGET, choose_thresholds

ROOT = Path(__file__).resolve().parent.parent.parent
TRAIN_DIR = ROOT / "tests" / "red_flags" / "blind" / "train"
REGRESSION_DIR = ROOT / "tests" / "red_flags" / "blind" / "regression"  # spent fresh sets: thresholds only
TABLES = ROOT / "tests" / "red_flags"
# spent blind-written dialogues: their silent turns guard the thresholds against added false alarms
SPENT_DIALOGUES = ROOT / "tests" / "dialogues_blind" / "regression"


def project_silent(tables: Path = TABLES) -> list[Message]:
    """Messages the project's own tables say must stay silent: silent.yaml and the turns of the test
    dialogues that expect no red flag. Thresholds must keep them silent (the tables still pass)."""
    return [m for m in load_tables(tables) if not m.flags] + dialogue_silent(tables.parent / "dialogues")


def dialogue_silent(folder: Path) -> list[Message]:
    """The turns of the dialogues in `folder` that expect no red flag."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for d in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("dialogues") or []:
            for turn in d.get("turns") or []:
                if (turn.get("expect") or {}).get("no_red_flags") and isinstance(turn.get("user"), str):
                    out.append(Message(turn["user"], frozenset(), kind="project_dialogue", source=path.name))
    return out


def held_out(m: Message) -> bool:
    """Whether a blind message belongs to the threshold split (a tenth, by a hash of its text)."""
    return hashlib.sha256(m.text.encode("utf-8")).digest()[0] < 26


def train(out_dir: Path = DEFAULT_DIR, train_dirs: list[Path] | None = None, *, epochs: int = 4,
          top_layers: int = 3, max_tokens: int = 128, seed: int = 13, device: str = "cpu",
          base_dir: Path | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, choose thresholds, write weights and manifest to out_dir; returns the manifest.

    device: a torch device ("cpu", "cuda"). base_dir: the MiniLM to train from, when not the bundled copy
    (a copy of it made to travel to a training machine, say); the layer still runs on the bundled model,
    and the manifest records the hash of the weights it was trained from."""
    import torch
    from safetensors.torch import save_file

    from bot.guidance.embedding import BUNDLED_SHA256, bundled_model_dir, verify_weights

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    base = Path(base_dir) if base_dir is not None else bundled_model_dir()
    trained_from = verify_weights(base, None if base_dir is not None else BUNDLED_SHA256)
    train_dirs = train_dirs or [TRAIN_DIR]
    files = [p for d in map(Path, train_dirs) for p in (sorted(d.glob("*.yaml")) if d.is_dir() else [d])]
    trained_on = {str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p): file_sha256(p) for p in files}
    blind = load_sets(files)
    spent = load_sets([REGRESSION_DIR]) if REGRESSION_DIR.is_dir() else []
    val = [m for m in blind if held_out(m)] + spent
    fit = [m for m in blind if not held_out(m)] + load_tables(TABLES)
    log(f"training on {len(fit)} messages ({len(blind) - len(val) + len(spent)} blind + tables), "
        f"thresholds on {len(val)} ({len(spent)} from spent fresh sets)")

    model, tok = build_model(base, top_layers, len(FLAGS))
    model.to(device)
    params = [p for _, p in trainable_parameters(model, top_layers)]
    head = [p for n, p in trainable_parameters(model, top_layers) if n.startswith("head.")]
    body = [p for n, p in trainable_parameters(model, top_layers) if not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": 8e-5}, {"params": head, "lr": 1e-3}], weight_decay=0.01)
    items = _windows(fit, tok, max_tokens)
    batches = _batches(items, 32)
    steps = epochs * len(batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.06 * steps)) *
                                              max(0.0, (steps - s) / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = random.Random(seed)
    for epoch in range(epochs):
        model.train()
        rng.shuffle(batches)
        start, total = time.time(), 0.0
        for step, batch in enumerate(batches, 1):
            if step % 50 == 0:
                log(f"  epoch {epoch + 1}: batch {step}/{len(batches)} ({time.time() - start:.0f} s)")
            logits = _message_logits(model, tok, batch, max_tokens)
            labels = torch.tensor(np.array([b[2] for b in _firsts(batch)]), dtype=torch.float32, device=device)
            loss = loss_fn(logits, labels)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        log(f"epoch {epoch + 1}/{epochs}: loss {total / len(batches):.4f} ({time.time() - start:.0f} s)")
    model.eval()
    with torch.no_grad():  # thresholds are chosen on the weights as shipped (fp16), not the fp32 ones trained
        for _, p in trainable_parameters(model, top_layers):
            p.copy_(p.to(torch.float16).to(p.dtype))

    rules = RuleSet.load()
    val_scores = score_messages(model, tok, val, max_tokens)
    own, guard = project_silent(), dialogue_silent(SPENT_DIALOGUES)
    thresholds, figures = choose_thresholds(val, val_scores, rules, (own, score_messages(model, tok, own, max_tokens)),
                                            (guard, score_messages(model, tok, guard, max_tokens)))
    log(f"held-out figures at the chosen thresholds: {json.dumps(figures)}")

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {n: p.detach().to("cpu", torch.float16).contiguous() for n, p in trainable_parameters(model, top_layers)}
    weights = out_dir / WEIGHTS
    save_file(state, str(weights))
    manifest = {
        "format": FORMAT, "flags": [str(f) for f in FLAGS], "rules_version": rules.spec_version,
        "weights_sha256": file_sha256(weights), "base_model_sha256": BUNDLED_SHA256,
        "top_layers": top_layers, "max_tokens": max_tokens, "thresholds": thresholds.to_dict(),
        "trained_on": trained_on, "held_out": figures,
        "settings": {"epochs": epochs, "seed": seed, "false_alarm_budget": FALSE_ALARM_BUDGET,
                     "question_budget": QUESTION_BUDGET, "device": str(device),
                     "trained_from_sha256": trained_from},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB) and {out_dir / MANIFEST}")
    return manifest


def rechoose_thresholds(layer_dir: Path = DEFAULT_DIR, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Choose the thresholds again for the shipped weights, on the split they were not trained on, for
    the rules as they are now (the weights do not depend on the rules; the thresholds do)."""
    from bot.safety.layer import LearnedLayer

    manifest = json.loads((layer_dir / MANIFEST).read_text(encoding="utf-8"))
    layer = LearnedLayer.load(layer_dir)
    blind = load_sets([ROOT / p for p in manifest["trained_on"]])
    val = [m for m in blind if held_out(m)] + (load_sets([REGRESSION_DIR]) if REGRESSION_DIR.is_dir() else [])
    def probs(messages: list[Message]) -> np.ndarray:
        rows = [r for i in range(0, len(messages), 32) for r in layer.scores_many([m.text for m in messages[i:i + 32]])]
        return np.array([[row[f] for f in FLAGS] for row in rows], dtype=np.float32).reshape(-1, len(FLAGS))

    own, guard = project_silent(), dialogue_silent(SPENT_DIALOGUES)
    thresholds, held = choose_thresholds(val, probs(val), RuleSet.load(), (own, probs(own)), (guard, probs(guard)))
    rules = RuleSet.load()
    manifest.update(rules_version=rules.spec_version, thresholds=thresholds.to_dict(), held_out=held)
    (layer_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"held-out figures at the chosen thresholds: {json.dumps(held)}")
    return manifest


def _windows(messages: list[Message], tok: Any, max_tokens: int) -> list[tuple[int, str, np.ndarray]]:
    """Each message's windows, read through the glossary first as LearnedLayer.scores_many reads them
    (typos, fillers and other languages in English), so that training and thresholds see what runs."""
    glossary = packaged()
    items = []
    for i, m in enumerate(messages):
        label = np.array([1.0 if f in m.flags else 0.0 for f in FLAGS], dtype=np.float32)
        for w in windows(read_in_english(glossary, m.text), tok, max_tokens) or [" "]:
            items.append((i, w, label))
    return items


def _batches(items: list[tuple[int, str, np.ndarray]], size: int) -> list[list[tuple[int, str, np.ndarray]]]:
    """Batches that keep a message's windows together, of similar length."""
    by_msg: dict[int, list[tuple[int, str, np.ndarray]]] = {}
    for it in items:
        by_msg.setdefault(it[0], []).append(it)
    groups = sorted(by_msg.values(), key=lambda g: sum(len(w) for _, w, _ in g))
    out, cur = [], []
    for g in groups:
        cur += g
        if len(cur) >= size:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _firsts(batch: list[tuple[int, str, np.ndarray]]) -> list[tuple[int, str, np.ndarray]]:
    seen: dict[int, tuple[int, str, np.ndarray]] = {}
    for it in batch:
        seen.setdefault(it[0], it)
    return list(seen.values())


def _message_logits(model: Any, tok: Any, batch: list[tuple[int, str, np.ndarray]], max_tokens: int) -> Any:
    """Per-message logits: the highest over each message's windows."""
    import torch

    device = next(model.parameters()).device
    ids, mask = encode_batch(tok, [w for _, w, _ in batch], max_tokens)
    logits = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
    order = {m: k for k, m in enumerate(dict.fromkeys(i for i, _, _ in batch))}
    index = torch.tensor([order[i] for i, _, _ in batch], device=device).unsqueeze(1).expand_as(logits)
    out = torch.full((len(order), logits.shape[1]), -1e4, device=device)
    return out.scatter_reduce(0, index, logits, reduce="amax", include_self=True)


def score_messages(model: Any, tok: Any, messages: list[Message], max_tokens: int) -> np.ndarray:
    """Probabilities, one row per message (highest over its windows)."""
    import torch

    items = _windows(messages, tok, max_tokens)
    out = np.zeros((len(messages), len(FLAGS)), dtype=np.float32)
    with torch.inference_mode():
        for batch in _batches(items, 64):
            probs = torch.sigmoid(_message_logits(model, tok, batch, max_tokens)).cpu().numpy()
            for k, i in enumerate(dict.fromkeys(i for i, _, _ in batch)):
                out[i] = probs[k]
    return out


