"""The token embedding table read in row by row (bot/guidance/tokentable.py)."""
from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ModelError
from bot.guidance.tokentable import TokenTable


@pytest.fixture
def stored(tmp_path):
    rows = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    path = tmp_path / "lower.data"
    path.write_bytes(rows.tobytes())
    return path, rows


def test_only_the_rows_looked_up_are_read_in_and_they_are_the_files(stored):
    path, rows = stored
    table = TokenTable(path, 8)
    table.fill(np.array([[3, 7, 3], [49, -1, 0]]))  # -1: the last row, as Gather reads it
    read = sorted(int(i) for i in np.flatnonzero(table.array.any(axis=1)))
    assert read == [0, 3, 7, 49]
    assert table.array[read].tobytes() == rows[read].tobytes()
    table.fill(np.array([[50, -51, 3]]))  # outside the table: left for the graph to refuse
    assert sorted(int(i) for i in np.flatnonzero(table.array.any(axis=1))) == read


def test_a_file_that_is_not_such_a_table_is_refused(tmp_path):
    path = tmp_path / "lower.data"
    path.write_bytes(b"\0" * 33)
    with pytest.raises(ValueError):
        TokenTable(path, 8)


def test_a_file_cut_short_while_in_use_is_a_model_error(stored):
    path, _ = stored
    table = TokenTable(path, 8)
    path.write_bytes(path.read_bytes()[:32 * 20])
    with pytest.raises(ModelError, match="changed while in use"):
        table.fill(np.array([[40]]))
