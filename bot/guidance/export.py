"""Export the query-time model (bot/guidance/runtime.py) at index time: the only part that needs torch,
sentence-transformers and onnx. The export is checked against them before it is used: retrieval
embeddings by cosine, red-flag probabilities by absolute difference, on CHECK_SENTENCES.

    python -m bot.guidance.export INDEX_DIR [LAYER_DIR]     # what a serving process runs to re-export
"""
from __future__ import annotations

import os
import shutil
import sys
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.datafile import file_sha256
from bot.errors import ModelError
from bot.guidance.runtime import (
    EXPORT_MANIFEST,
    FILES,
    FLAGS,
    LOWER,
    LOWER_DATA,
    RETRIEVAL,
    TOKENIZER,
    Runtime,
    expected_export,
    export_status,
    layer_dir_default,
)
from bot.guidance.tokentable import TABLE
from bot.version import VERSION

MIN_COSINE = 0.9999
MAX_PROBABILITY_DIFFERENCE = 1e-4
OPSET = 17
CHECK_SENTENCES = (
    "I feel a pull behind my knee when I stretch my hamstrings",
    "what is a Baker's cyst?",
    "my knee gave way and I can't put weight on it",
    "burning into the calf that eases when I point my toes",
    "no swelling, no clicking, just a dull ache",
    "ok",
    "Sharp pain on the inside of the knee when I twist. " * 40,  # over the 256-token limit
    "Ünïcødé, emoji 🦵 and punctuation?!",
)


def _wrappers(bert: Any, flag_model: Any, split: int) -> tuple[Any, Any, Any]:
    """torch modules for the three graphs, cutting both models after the shared lower layers."""
    import torch

    def additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    def mean(hidden: torch.Tensor, mask: torch.Tensor, floor: float) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=floor)

    class Lower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings, self.layers = bert.embeddings, bert.encoder.layer[:split]

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            for layer in self.layers:
                hidden = layer(hidden, additive(mask, hidden.dtype))
            return hidden

    class Retrieval(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = bert.encoder.layer[split:]

        def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                hidden = layer(hidden, additive(mask, hidden.dtype))
            return torch.nn.functional.normalize(mean(hidden, mask, 1e-9), p=2, dim=1)

    class Flags(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers, self.head = flag_model.bert.encoder.layer[split:], flag_model.head

        def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                hidden = layer(hidden, additive(mask, hidden.dtype))
            return torch.sigmoid(self.head(mean(hidden, mask, 1.0)))  # as FlagModel: dropout is off in eval

    return Lower().eval(), Retrieval().eval(), Flags().eval()


def _export_graphs(folder: Path, bert: Any, flag_model: Any, split: int) -> None:
    import torch

    lower, retrieval, flags = _wrappers(bert, flag_model, split)
    ids = torch.tensor([[101, 7592, 2157, 102], [101, 7592, 102, 0]])
    mask = (ids > 0).long()
    batch = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        hidden = lower(ids, mask)
    with warnings.catch_warnings():  # the legacy exporter's deprecation note and the tracer's shape notes
        warnings.simplefilter("ignore")
        # dynamo=False: the TorchScript exporter handles BERT's dynamic shapes here without extra packages.
        torch.onnx.export(lower, (ids, mask), str(folder / LOWER), input_names=["input_ids", "attention_mask"],
                          output_names=["hidden"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": batch, "attention_mask": batch, "hidden": batch})
        for module, name, output in ((retrieval, RETRIEVAL, "embedding"), (flags, FLAGS, "probabilities")):
            torch.onnx.export(module, (hidden, mask), str(folder / name), input_names=["hidden", "attention_mask"],
                              output_names=[output], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"hidden": batch, "attention_mask": batch, output: {0: "batch"}})
    _embedding_table_apart(folder)


def _embedding_table_apart(folder: Path) -> None:
    """Move the token embedding table (47 MB) out of lower.onnx into lower.data at offset 0, where
    onnxruntime maps it instead of copying it into memory."""
    import onnx
    from onnx import TensorProto, external_data_helper

    model = onnx.load(str(folder / LOWER))
    table = max(model.graph.initializer, key=lambda t: len(t.raw_data))
    if table.name != TABLE:  # the name the runtime gives its own copy of the table under (tokentable.py)
        raise ModelError(f"the token embedding table in {LOWER} is named {table.name!r}, not {TABLE!r}")
    (folder / LOWER_DATA).write_bytes(table.raw_data)
    external_data_helper.set_external_data(table, LOWER_DATA, offset=0, length=len(table.raw_data))
    table.ClearField("raw_data")
    table.data_location = TensorProto.EXTERNAL
    onnx.save_model(model, str(folder / LOWER))


def _check(folder: Path, manifest: dict[str, Any], st_model: Any, layer: Any) -> dict[str, Any]:
    """Compare the export with sentence-transformers and the torch layer; ModelError if it differs."""
    runtime = Runtime(folder, manifest)
    texts = list(CHECK_SENTENCES)
    ours = runtime.embedder.encode(texts)
    theirs = st_model.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    cosine = float(np.min(np.sum(ours * theirs, axis=1)))
    from bot.safety.layer import encode_batch

    ids, mask = encode_batch(layer.tokenizer, texts, layer.max_tokens)
    difference = float(np.max(np.abs(runtime.flag_probabilities(ids, mask) - layer.probabilities(texts))))
    if cosine < MIN_COSINE or difference > MAX_PROBABILITY_DIFFERENCE:
        raise ModelError(f"the ONNX export in {folder} does not reproduce the models (lowest cosine {cosine:.6f}, "
                         f"largest red-flag probability difference {difference:.2e}); not used")
    return {"sentences": len(texts), "min_cosine": round(cosine, 7), "max_probability_difference": difference}


def build_export(index_dir: Path, layer_dir: Path | None = None, st_model: Any = None,
                 unless_current: bool = False) -> dict[str, Any] | None:
    """Export, check and write the query-time model into index_dir atomically; returns its manifest, or
    None when `unless_current` and another process wrote a current one while this one waited."""
    from bot.guidance.embedding import BUNDLED_SHA256, bundled_model_dir, load_embedder, verify_weights
    from bot.guidance.index import _build_lock, _fsync, switch_manifest
    from bot.safety.layer import LearnedLayer

    index_dir = Path(index_dir)
    expected = expected_export(layer_dir)
    base_dir = bundled_model_dir()
    verify_weights(base_dir, BUNDLED_SHA256)
    if st_model is None:
        st_model = load_embedder().model  # type: ignore[attr-defined]
    layer = LearnedLayer.load(layer_dir or layer_dir_default(), runtime=None)
    bert = st_model[0].auto_model
    split = bert.config.num_hidden_layers - expected["layer"]["top_layers"]
    index_dir.mkdir(parents=True, exist_ok=True)
    folder_name = f"export-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{folder_name}"
    with _build_lock(index_dir):
        if unless_current and export_status(index_dir, layer_dir).ok:
            return None
        tmp.mkdir()
        try:
            previous = bert.config._attn_implementation
            _attention((bert, layer.model.bert), "eager")  # the plain attention code, which the graphs replay
            try:
                _export_graphs(tmp, bert, layer.model, split)
            finally:
                _attention((bert, layer.model.bert), previous)
            shutil.copyfile(base_dir / TOKENIZER, tmp / TOKENIZER)
            manifest = {**expected, "folder": folder_name, "split": split,
                        "files": {name: file_sha256(tmp / name) for name in FILES}}
            manifest["check"] = _check(tmp, manifest, st_model, layer)
            manifest |= {"code_version": VERSION, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
            for name in FILES:
                _fsync(tmp / name)
            _fsync(tmp)
            os.rename(tmp, index_dir / folder_name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        switch_manifest(index_dir, EXPORT_MANIFEST, manifest, folder_name, "export-")
    export_status(index_dir, layer_dir)  # records the files as verified, so the first start need not hash them
    return manifest


def _attention(models: tuple[Any, ...], implementation: str) -> None:
    for model in models:
        model.set_attn_implementation(implementation)


def ensure_export(index_dir: Path, layer_dir: Path | None = None, st_model: Any = None) -> dict[str, Any] | None:
    """Re-export when the export is missing, stale or corrupt; the new manifest, or None when current."""
    if export_status(index_dir, layer_dir).ok:
        return None
    return build_export(index_dir, layer_dir, st_model, unless_current=True)


if __name__ == "__main__":
    # A failure ends with the error's one-line message, which export_in_child passes on.
    ensure_export(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
