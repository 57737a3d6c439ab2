"""The export's token embedding table (lower.data) as onnxruntime reads it: only the rows of the tokens seen.

Left to onnxruntime, the file (47 MB) is mapped whole, and reading one row maps the page cache's block around it
into the process. A freshly written file lies in 2 MiB blocks on recent kernels, so each token of a message can
cost 2 MiB of resident memory (16 MiB after fifty turns). Here the table is zeroed memory, which takes no room
until written, and each row is read in from the file before the first run of the lower graph that looks it up:
a page holds a few rows. The graph's Gather reads only the rows of its ids, so it computes what it computes from
the mapped file, bit for bit (tests/test_lean_path.py runs both).
"""
from __future__ import annotations

import mmap
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError

TABLE = "embeddings.word_embeddings.weight"  # the initializer bot/guidance/export.py moves into lower.data


class TokenTable:
    """A float32 table of `dim` columns kept in `path`, whose rows `fill` reads in before they are looked up."""

    def __init__(self, path: Path, dim: int) -> None:
        self._row = dim * 4
        self._file = open(path, "rb", buffering=0)  # kept open while the table is in use
        size = os.fstat(self._file.fileno()).st_size
        if not size or size % self._row or sys.byteorder != "little":  # lower.data is little-endian float32
            self._file.close()
            raise ValueError(f"{path} is not a table of {dim} float32 columns this machine reads as written")
        self._memory = mmap.mmap(-1, size)  # anonymous: zero pages that take no memory until written
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            self._memory.madvise(mmap.MADV_NOHUGEPAGE)  # else one row could take a 2 MiB huge page
        self.array = np.frombuffer(self._memory, dtype=np.float32).reshape(-1, dim)
        self._read = np.zeros(len(self.array), dtype=bool)
        self._lock = threading.Lock()
        self._value: Any = None

    def value(self) -> Any:
        """The table as an onnxruntime value, for `SessionOptions.add_initializer(TABLE, ...)`; held here, as
        long as the table, because the options and the session do not keep it alive."""
        import onnxruntime as ort

        if self._value is None:
            self._value = ort.OrtValue.ortvalue_from_numpy(self.array)
        return self._value

    def fill(self, ids: np.ndarray) -> None:
        """Read in the rows of `ids` not read yet (ids outside the table are left for the graph to refuse)."""
        rows = len(self.array)
        ids = ids[(ids >= -rows) & (ids < rows)] % rows  # Gather counts a negative id from the end
        missing = ids[~self._read[ids]]
        if not len(missing):
            return
        with self._lock:
            for i in np.unique(missing).tolist():
                if self._read[i]:
                    continue
                at = i * self._row
                row = os.pread(self._file.fileno(), self._row, at)
                if len(row) != self._row:
                    raise ModelError(f"{self._file.name} changed while in use; run `kneebot index`")
                self._memory[at:at + self._row] = row
                self._read[i] = True
