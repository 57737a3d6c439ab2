"""The learned red-flag layer: the bundled MiniLM with its top layers fine-tuned as a multi-label
classifier over the 11 red-flag ids.

What ships is small: the fine-tuned top transformer layers and the head (fp16 safetensors), applied
over the bundled all-MiniLM-L6-v2 weights, whose hash is checked as the embedder checks it. The
manifest beside the weights records their SHA-256, the flag order, the rule-set version they were
trained for, the thresholds chosen on a split they were not trained on, and what they were trained on.
Retrain with `kneebot train-red-flags` (bot/safety/training.py).

A message is cut into windows of whole sentences of at most `max_tokens` tokens; a flag's score is its
highest over the windows, and at most `MAX_WINDOWS` windows (those nearest body and symptom words)
go through the model in one batched pass, so hostile input costs a bounded amount.
"""
from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.datafile import file_sha256
from bot.errors import SafetyLayerError
from bot.ids import RedFlag
from bot.safety.glossary import Glossary, packaged
from bot.tokens import encode

if TYPE_CHECKING:
    from bot.guidance.runtime import Runtime

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "red_flag_layer"
WEIGHTS = "layer.safetensors"
MANIFEST = "manifest.json"
FORMAT = 1
MAX_WINDOWS = 12
RETRAIN = "run `kneebot train-red-flags` (or restore the file from the repository)"
_SENTENCE = re.compile(r"[^.!?\n;]+[.!?\n;]*")
_SALIENT = re.compile(
    r"knee|leg|calf|calves|thigh|foot|feet|toe|bum|butt|groin|genital|saddle|bladder|bowel|pee|wee|pis|"
    r"poo|loo|toilet|chest|breath|heart|arm|jaw|numb|tingl|pins|weak|swell|swol|puff|balloon|hot|warm|red|"
    r"fever|temperature|shiver|unwell|lock|click|catch|stuck|give|gave|buckl|wobbl|unstable|weight|walk|"
    r"stand|hop|limp|pain|hurt|agony|sore|ache|pop|snap|tear|rip|week|day|month|better|worse|same", re.I)
_cache: dict[tuple[str, str, int], LearnedLayer] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Thresholds:
    """Per-flag probabilities: `record` adds a hit, `ask` adds the flag's question, a rule's hit
    scoring under `keep` becomes the flag's question instead (never silence), and a rule's question on
    a vague description (nothing hedged) scoring at least `promote` becomes a hit."""

    record: dict[RedFlag, float]
    ask: dict[RedFlag, float]
    keep: dict[RedFlag, float]
    promote: dict[RedFlag, float]

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, float]]) -> Thresholds:
        """From the manifest's thresholds; every flag needs all four (a manifest from before `promote`
        existed promotes nothing)."""
        data = {"promote": {str(f): NEVER for f in RedFlag}, **data}
        return cls(*({RedFlag(k): float(v) for k, v in data[name].items()} for name in _THRESHOLDS))

    def to_dict(self) -> dict[str, dict[str, float]]:
        """The manifest form."""
        return {name: {str(k): round(v, 4) for k, v in getattr(self, name).items()} for name in _THRESHOLDS}


_THRESHOLDS = ("record", "ask", "keep", "promote")
NEVER = 2.0  # a threshold no probability reaches


class LearnedLayer:
    """Scores messages for every red flag; `scores(text)` gives one probability per flag.

    It runs on torch (training, evaluation) or on the ONNX runtime the index exports (serving); both
    give the same probabilities within float tolerance, checked when the export is written.
    """

    def __init__(self, model: Any, tokenizer: Any, manifest: dict[str, Any], runtime: Runtime | None = None) -> None:
        self.model = model
        self.runtime = runtime
        self.tokenizer = tokenizer
        self.manifest = manifest
        self.flags = [RedFlag(f) for f in manifest["flags"]]
        self.thresholds = Thresholds.from_dict(manifest["thresholds"])
        self.max_tokens = int(manifest["max_tokens"])
        self.version = str(manifest["weights_sha256"])[:10]
        self._lock = threading.Lock()
        self.glossary = packaged()  # a sign told in another language is read in English, as the rules read it

    @classmethod
    def load(cls, layer_dir: Path | str | None = None, rules_version: str | None = None,
             runtime: Runtime | None = None) -> LearnedLayer:
        """Load and verify the shipped layer (on the runtime when given, else torch); SafetyLayerError
        names the file and what to run."""
        layer_dir = Path(layer_dir) if layer_dir else DEFAULT_DIR
        key = (str(layer_dir.resolve()), rules_version or "", id(runtime) if runtime else 0)
        with _cache_lock:
            if key not in _cache:
                _cache[key] = cls._load(layer_dir, rules_version, runtime)
            return _cache[key]

    @classmethod
    def _load(cls, layer_dir: Path, rules_version: str | None, runtime: Runtime | None = None) -> LearnedLayer:
        manifest_path, weights_path = layer_dir / MANIFEST, layer_dir / WEIGHTS
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SafetyLayerError(f"the red-flag layer's manifest {manifest_path} is missing; {RETRAIN}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SafetyLayerError(f"the red-flag layer's manifest {manifest_path} is unreadable ({exc}); "
                                   f"{RETRAIN}") from None
        problem = _check_manifest(manifest, rules_version)
        if problem:
            raise SafetyLayerError(f"{manifest_path}: {problem}; {RETRAIN}")
        if not weights_path.is_file():
            raise SafetyLayerError(f"the red-flag layer's weights {weights_path} are missing; {RETRAIN}")
        actual = file_sha256(weights_path)
        if actual != manifest["weights_sha256"]:
            raise SafetyLayerError(f"the red-flag layer's weights {weights_path} fail the checksum (SHA-256 "
                                   f"{actual[:16]}…, manifest says {manifest['weights_sha256'][:16]}…); {RETRAIN}")
        from bot.guidance.embedding import BUNDLED_SHA256, bundled_model_dir, verify_weights

        if manifest["base_model_sha256"] != BUNDLED_SHA256:
            raise SafetyLayerError(f"{manifest_path}: built over other base weights; {RETRAIN}")
        if runtime is not None:  # the export was checked against these weights when it was written
            exported = runtime.manifest.get("layer", {})
            if exported.get("weights_sha256") != actual or exported.get("top_layers") != manifest["top_layers"]:
                raise SafetyLayerError(f"the model export in {runtime.folder} was made from other red-flag layer "
                                       "weights; run `kneebot index`")
            return cls(None, runtime.tokenizer, manifest, runtime)
        base_dir = bundled_model_dir()
        verify_weights(base_dir, BUNDLED_SHA256)
        try:
            model, tokenizer = build_model(base_dir, int(manifest["top_layers"]), len(manifest["flags"]))
            from safetensors.torch import load_file

            state = {k: v.float() for k, v in load_file(str(weights_path)).items()}
            trainable = {k for k, _ in trainable_parameters(model, int(manifest["top_layers"]))}
            if set(state) != trainable:
                raise SafetyLayerError(f"{weights_path}: holds other tensors than the layer needs; {RETRAIN}")
            model.load_state_dict(state, strict=False)
        except SafetyLayerError:
            raise
        except Exception as exc:  # safetensors and torch raise many kinds; all mean "cannot use this file"
            raise SafetyLayerError(f"cannot load the red-flag layer from {weights_path}: {exc}; {RETRAIN}") from exc
        model.eval()
        return cls(model, tokenizer, manifest)

    def windows(self, text: str) -> list[str]:
        """The parts of a message the model reads: whole sentences packed up to max_tokens each."""
        return windows(text, self.tokenizer, self.max_tokens)

    def scores(self, text: str) -> dict[RedFlag, float]:
        """Each flag's probability for the message (its highest over the message's windows)."""
        return self.scores_many([text])[0]

    def scores_many(self, texts: list[str]) -> list[dict[RedFlag, float]]:
        """Scores for several messages in one batched pass."""
        return self.start(texts).result()

    def start(self, texts: list[str]) -> PendingScores:
        """`scores_many` begun: on the runtime, the model's pass runs on its worker threads (which hold no
        lock the caller needs) while the caller goes on, as the rules' scan does meanwhile."""
        parts: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for w in self.windows(read_in_english(self.glossary, text)) or [""]:
                parts.append(w)
                owner.append(i)
        if self.runtime is None or not parts:
            return PendingScores(self.flags, len(texts), owner, self.probabilities(parts))
        ids, mask = encode_batch(self.tokenizer, parts, self.max_tokens)
        return PendingScores(self.flags, len(texts), owner, self.runtime.submit(self.runtime.flag_probabilities,
                                                                                ids, mask))

    def probabilities(self, parts: list[str]) -> np.ndarray:
        """Sigmoid outputs, one row per text part."""
        if not parts:
            return np.zeros((0, len(self.flags)), dtype=np.float32)
        ids, mask = encode_batch(self.tokenizer, parts, self.max_tokens)
        if self.runtime is not None:
            return self.runtime.flag_probabilities(ids, mask)
        import torch

        with self._lock, torch.inference_mode():
            logits = self.model(torch.from_numpy(ids), torch.from_numpy(mask))
        return torch.sigmoid(logits).numpy()


class PendingScores:
    """A batch of messages' scores, perhaps still being computed; `result()` waits for them."""

    def __init__(self, flags: list[RedFlag], n: int, owner: list[int], probs: np.ndarray | Future[np.ndarray]) -> None:
        self._flags, self._n, self._owner, self._probs = flags, n, owner, probs

    def result(self) -> list[dict[RedFlag, float]]:
        """Each message's probability per flag: its highest over the message's windows."""
        probs = self._probs.result() if isinstance(self._probs, Future) else self._probs
        out = np.zeros((self._n, len(self._flags)), dtype=np.float32)
        for row, i in zip(probs, self._owner, strict=True):
            out[i] = np.maximum(out[i], row)
        return [{f: float(p) for f, p in zip(self._flags, row, strict=True)} for row in out]


def read_in_english(glossary: Glossary, text: str) -> str:
    """A message as the layer reads it (in training too): through the glossary, so that typos, fillers and
    other languages are read in English as the rules read them; lone surrogates, which cannot be tokenised,
    replaced."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    glossed = glossary.read(text)
    return glossed.text if glossed is not None else text


def _check_manifest(manifest: Any, rules_version: str | None) -> str | None:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    needed = ("format", "flags", "rules_version", "weights_sha256", "base_model_sha256", "top_layers",
              "max_tokens", "thresholds")
    missing = [k for k in needed if k not in manifest]
    if missing:
        return f"missing {', '.join(missing)}"
    if manifest["format"] != FORMAT:
        return f"format {manifest['format']!r}, this kneebot reads format {FORMAT}"
    if manifest["flags"] != [str(f) for f in RedFlag]:
        return "built for another set of red-flag ids"
    if rules_version is not None and manifest["rules_version"] != rules_version:
        return f"built for rule-set version {manifest['rules_version']}, the rules are version {rules_version}"
    try:
        Thresholds.from_dict(manifest["thresholds"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return f"thresholds are incomplete ({exc})"
    return None


def windows(text: str, tokenizer: Any, max_tokens: int) -> list[str]:
    """Whole sentences packed into windows of at most max_tokens; the most salient MAX_WINDOWS kept."""
    text = text.strip()
    if not text:
        return []
    budget = max_tokens - 2
    if len(text) <= budget * 2 and len(tokenizer.encode(text, add_special_tokens=False).ids) <= budget:
        return [text]
    out: list[str] = []
    current, size = "", 0
    for m in _SENTENCE.finditer(text[:200_000]):
        sentence = m.group(0).strip()
        if not sentence:
            continue
        n = len(tokenizer.encode(sentence[: budget * 8], add_special_tokens=False).ids)
        if n > budget:  # one over-long "sentence" (a run-on): cut it into pieces of about budget tokens
            if current:
                out.append(current)
            out += _pieces(sentence, tokenizer, budget)
            current, size = "", 0
            continue
        if current and size + n > budget:
            out.append(current)
            current, size = "", 0
        current, size = f"{current} {sentence}".strip(), size + n
        if len(out) > 4 * MAX_WINDOWS:
            break
    if current:
        out.append(current)
    if len(out) > MAX_WINDOWS:
        ranked = sorted(range(len(out)), key=lambda i: -len(_SALIENT.findall(out[i])))[:MAX_WINDOWS]
        out = [out[i] for i in sorted(ranked)]
    return out


def _pieces(sentence: str, tokenizer: Any, budget: int) -> list[str]:
    enc = tokenizer.encode(sentence[:20_000], add_special_tokens=False)
    step = max(8, budget - 16)  # a little overlap, so a phrase cut in two is still read whole once
    out = []
    for start in range(0, len(enc.ids), step):
        span = enc.offsets[start:start + budget]
        out.append(sentence[span[0][0]:span[-1][1]])
        if len(out) >= MAX_WINDOWS * 2 or start + budget >= len(enc.ids):
            break
    return out


def encode_batch(tokenizer: Any, parts: list[str], max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, padded to the longest part (each part cut to a few characters per
    token first, so an enormous part is not tokenized whole)."""
    return encode(tokenizer, [p[: max_tokens * 12] for p in parts], max_tokens)


def load_tokenizer(base_dir: Path) -> Any:
    """The bundled model's fast tokenizer (tokenizers), without padding or truncation."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def build_model(base_dir: Path, top_layers: int, n_flags: int) -> tuple[Any, Any]:
    """The bundled MiniLM with a mean-pooling multi-label head; its top layers are the trained part."""
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    class FlagModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(base_dir), local_files_only=True, add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, n_flags)

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    model = FlagModel()
    for name, param in model.named_parameters():
        param.requires_grad = name in dict(trainable_parameters(model, top_layers))
    return model, load_tokenizer(base_dir)


def trainable_parameters(model: Any, top_layers: int) -> list[tuple[str, Any]]:
    """The parameters that are trained and shipped: the top transformer layers and the head."""
    n = model.bert.config.num_hidden_layers
    keep = tuple(f"bert.encoder.layer.{i}." for i in range(n - top_layers, n)) + ("head.",)
    return [(name, p) for name, p in model.named_parameters() if name.startswith(keep)]
