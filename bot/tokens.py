"""Token ids for the bundled model's tokenizer, as the model reads them (retrieval and the red-flag layer)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def encode(tokenizer: Any, texts: Sequence[str], max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, zero-padded to the longest text; a longer text is cut to
    `max_tokens` keeping its final separator, as sentence-transformers does."""
    encs = [tokenizer.encode(str(t)) for t in texts]
    rows = [e.ids[: max_tokens - 1] + ([e.ids[-1]] if len(e.ids) > max_tokens else []) for e in encs]
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask
