"""The query-time model: the bundled all-MiniLM-L6-v2 and the red-flag layer, exported to ONNX by
`kneebot index` and run with onnxruntime and tokenizers, so that serving never imports torch.

Both models share the token embeddings and lower transformer layers (the layer fine-tunes only the top
ones), so the export holds them once. In the index folder, `export.json` (the export's manifest) names
a folder `export-<id>/` holding:

    tokenizer.json   the bundled model's tokenizer
    lower.onnx       token embeddings and the shared lower layers: (input_ids, attention_mask) -> hidden
    lower.data       the token embedding table, of which only the rows of tokens actually seen are read into
                     memory (bot/guidance/tokentable.py)
    retrieval.onnx   the bundled top layers, mean pooling, L2 normalisation: (hidden, mask) -> embedding
    flags.onnx       the red-flag layer's fine-tuned top layers, head and sigmoid: (hidden, mask) -> probs

with each file's SHA-256, the model and layer weights they were exported from, and the check against
sentence-transformers and torch made when they were written (bot/guidance/export.py).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bot.datafile import file_sha256
from bot.errors import ModelError
from bot.guidance.embedding import BUNDLED_MODEL_ID, BUNDLED_SHA256
from bot.guidance.index import IndexStatus
from bot.guidance.tokentable import TABLE, TokenTable
from bot.tokens import encode

EXPORT_MANIFEST = "export.json"
EXPORT_FORMAT = 2
TOKENIZER = "tokenizer.json"
LOWER, RETRIEVAL, FLAGS = "lower.onnx", "retrieval.onnx", "flags.onnx"
LOWER_DATA = "lower.data"
FILES = (TOKENIZER, LOWER, LOWER_DATA, RETRIEVAL, FLAGS)
VERIFIED = "verified.json"  # size and modification time of each file when its hash last matched
MAX_SEQ_LENGTH = 256  # the bundled model's sentence-transformers max_seq_length
DIM = 384
BATCH = 32
CPU = ["CPUExecutionProvider"]
HIDDEN_KEPT = 8
WORKERS = 2  # the layer's top and the retrieval top run side by side over one lower pass
SWITCH_INTERVAL = 0.0002  # seconds; see Runtime.__init__
T = TypeVar("T")
REBUILD = "run `kneebot index` (building needs the index tools: pip install 'kneebot[index]')"
_runtimes: dict[tuple[str, str], Runtime] = {}
_lock = threading.Lock()


def layer_dir_default() -> Path:
    """The shipped red-flag layer's folder."""
    return Path(__file__).resolve().parent.parent / "data" / "red_flag_layer"


def expected_export(layer_dir: Path | None = None) -> dict[str, Any]:
    """The parts of the export manifest that must match for an export to be current."""
    path = Path(layer_dir or layer_dir_default()) / "manifest.json"
    try:
        layer = json.loads(path.read_text(encoding="utf-8"))
        top_layers, layer_sha = int(layer["top_layers"]), str(layer["weights_sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the red-flag layer's manifest {path} cannot be read ({exc}); "
                         "run `kneebot train-red-flags` (or restore it from the repository)") from exc
    return {
        "format": EXPORT_FORMAT,
        "model": {"id": BUNDLED_MODEL_ID, "weights_sha256": BUNDLED_SHA256, "dim": DIM,
                  "max_seq_length": MAX_SEQ_LENGTH},
        "layer": {"weights_sha256": layer_sha, "top_layers": top_layers},
    }


def _read(index_dir: Path) -> dict[str, Any]:
    path = index_dir / EXPORT_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("folder"), str):
            raise ValueError("no export folder named")
        if not isinstance(manifest.get("files"), dict):
            raise ValueError("no file hashes")
        return manifest
    except (OSError, ValueError) as exc:
        raise ModelError(f"the model export's manifest {path} is unreadable: {exc}") from exc


def export_status(index_dir: Path, layer_dir: Path | None = None, verify_files: bool = True) -> IndexStatus:
    """Whether the model export in index_dir is usable: ok, missing, stale or corrupt, and why."""
    index_dir = Path(index_dir)
    if not (index_dir / EXPORT_MANIFEST).exists():
        return IndexStatus("missing", (f"no model export in {index_dir} (no {EXPORT_MANIFEST})",))
    try:
        manifest = _read(index_dir)
    except ModelError as exc:
        return IndexStatus("corrupt", (str(exc),))
    expected = expected_export(layer_dir)
    stale = [f"{key} differs ({manifest.get(key)} -> {value})" for key, value in expected.items()
             if manifest.get(key) != value]
    if stale:
        return IndexStatus("stale", tuple(stale))
    if verify_files:
        folder = index_dir / manifest["folder"]
        for name in FILES:
            if not (folder / name).is_file():
                return IndexStatus("corrupt", (f"model export file {folder / name} is missing",))
        bad = [name for name in FILES if not _verified(folder, name, manifest["files"].get(name))]
        if bad:
            reason = f"model export file {folder / bad[0]} does not match its manifest checksum"
            return IndexStatus("corrupt", (reason,))
    return IndexStatus("ok")


def _verified(folder: Path, name: str, expected: str | None) -> bool:
    """Whether a file's SHA-256 is `expected`. Hashing 110 MB is a tenth of a cold start, so a file whose
    size and modification time are those it had when last found good (VERIFIED) is not hashed again."""
    st = (folder / name).stat()
    seen = [st.st_size, st.st_mtime_ns, expected]
    try:
        stamps = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamps = {}
    if isinstance(stamps, dict) and stamps.get(name) == seen:
        return True
    if file_sha256(folder / name) != expected:
        return False
    stamps = stamps if isinstance(stamps, dict) else {}
    try:  # best effort: a read-only index is hashed on every start instead
        tmp = folder / f".{VERIFIED}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({**stamps, name: seen}), encoding="utf-8")
        os.replace(tmp, folder / VERIFIED)
    except OSError:
        pass
    return True


def session_options() -> Any:
    """onnxruntime's options for the export's sessions."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False  # the arena keeps every batch shape's peak; serving wants it small
    # One thread per call: a query is a few dozen tokens, too little to share out, and a second spinning
    # thread only competes with the other turns, workers and processes on a small machine (3x slower here).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


class Runtime:
    """The exported graphs in onnxruntime sessions, and the tokenizer; thread-safe to call.

    The sessions are created in a background thread (onnxruntime releases the GIL while it reads and
    optimises the graphs), so the rest of start-up overlaps with it; `ready()` waits and raises ModelError
    if they could not be created, and every call waits for them. The lower layers' output for the last few
    single texts is kept, and one being computed is waited for rather than computed again: a turn begins
    the red-flag layer's pass over the message and, for a question, its retrieval embedding on the two
    worker threads (`submit`) before the rules scan it, and the two tops run side by side over one lower
    pass. The lower graph looks tokens up in a table holding only the rows of the tokens seen so far
    (bot/guidance/tokentable.py).
    """

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self.folder, self.manifest = folder, manifest
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        except Exception as exc:  # tokenizers raises its own kinds; all mean "cannot use it"
            raise ModelError(f"cannot load the model export's tokenizer in {folder}: {exc}; {REBUILD}") from exc
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.embedder = ExportedEmbedder(self)
        self._hidden: dict[bytes, Future[np.ndarray]] = {}
        self._hidden_lock = threading.Lock()
        self._table: TokenTable | None = None
        self._workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kneebot-model")
        self._loading = self._workers.submit(self._create_sessions)
        # A thread waiting for the interpreter lock gets it within this (the default is 5 ms): a model pass on a
        # worker then goes on while the caller's rules scan holds the lock, instead of waiting for the scan's end.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))

    def _create_sessions(self) -> dict[str, Any]:
        import onnxruntime as ort

        lower = session_options()
        try:
            self._table = TokenTable(self.folder / LOWER_DATA, DIM)
            lower.add_initializer(TABLE, self._table.value())
        except (OSError, ValueError):
            self._table = None  # onnxruntime maps the file itself, and says so if it cannot
            lower = session_options()
        options = {LOWER: lower, RETRIEVAL: session_options(), FLAGS: session_options()}
        try:
            return {name: ort.InferenceSession(str(self.folder / name), options[name], providers=CPU)
                    for name in options}
        except Exception as exc:  # onnxruntime raises its own kinds; all mean "cannot use it"
            raise ModelError(f"cannot load the model export in {self.folder}: {exc}; {REBUILD}") from exc

    def ready(self) -> Runtime:
        """The runtime once its sessions exist; ModelError if they cannot be created."""
        self._loading.result()
        return self

    def _run(self, name: str, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self._loading.result()[name].run(None, inputs)[0]

    def _lower(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.ready()
        if self._table is not None:
            self._table.fill(ids)
        return self._run(LOWER, {"input_ids": ids, "attention_mask": mask})

    def submit(self, fn: Callable[[np.ndarray, np.ndarray], T], ids: np.ndarray, mask: np.ndarray) -> Future[T]:
        """`fn(ids, mask)` (`embed` or `flag_probabilities`) run on the runtime's worker threads: onnxruntime
        releases the interpreter lock while it computes, so the caller's own work goes on meanwhile. The token
        table is read in here first, so that the worker has little but the model to run."""
        self.ready()
        if self._table is not None:
            self._table.fill(ids)
        return self._workers.submit(fn, ids, mask)

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The shared lower layers' output for a padded batch; a single text's is computed once even when the
        layer's pass and retrieval ask for it at the same time."""
        if len(ids) != 1:
            return self._lower(ids, mask)
        key = ids.tobytes() + mask.tobytes()
        with self._hidden_lock:
            found = self._hidden.get(key)
            mine = found is None
            if found is None:
                found = self._hidden[key] = Future()
                while len(self._hidden) > HIDDEN_KEPT:
                    self._hidden.pop(next(iter(self._hidden)))
        if mine:
            try:
                found.set_result(self._lower(ids, mask))
            except BaseException as exc:
                with self._hidden_lock:
                    if self._hidden.get(key) is found:
                        del self._hidden[key]
                found.set_exception(exc)
        return found.result()

    def embed(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Normalised retrieval embeddings for a padded batch."""
        return self._run(RETRIEVAL, {"hidden": self.hidden(ids, mask), "attention_mask": mask})

    def flag_probabilities(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The red-flag layer's sigmoid outputs for a padded batch, one row per text part."""
        return self._run(FLAGS, {"hidden": self.hidden(ids, mask), "attention_mask": mask})


class ExportedEmbedder:
    """The bundled model on the runtime: the same vectors as sentence-transformers (cosine >= 0.9999)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.model_id = BUNDLED_MODEL_ID
        self.weights_sha256 = BUNDLED_SHA256
        self.dim = DIM

    def start(self, text: str) -> Future[np.ndarray]:
        """`encode([text])` begun on the runtime's worker threads (its tokens read here)."""
        return self.runtime.submit(self.runtime.embed, *encode(self.runtime.tokenizer, [text], MAX_SEQ_LENGTH))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 embeddings, one row per text (truncated at 256 tokens, as the model is)."""
        out = [np.zeros((0, self.dim), dtype=np.float32)]
        for start in range(0, len(texts), BATCH):
            # tokenized one at a time: the tokenizer's own batch thread pool costs more than it saves here
            out.append(self.runtime.embed(*encode(self.runtime.tokenizer, texts[start:start + BATCH], MAX_SEQ_LENGTH)))
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32)


def load_runtime(index_dir: Path, layer_dir: Path | None = None, checked: bool = False) -> Runtime:
    """The current export in index_dir, its files checked (unless just `checked`); ModelError saying what
    to run if it is not current."""
    index_dir = Path(index_dir)
    status = export_status(index_dir, layer_dir, verify_files=not checked)
    if not status.ok:
        raise ModelError(f"the model export is {status}; {REBUILD}")
    manifest = _read(index_dir)
    return Runtime(index_dir / manifest["folder"], manifest)


def ensure_runtime(index_dir: Path, layer_dir: Path | None = None) -> Runtime:
    """Load the export, re-exporting a missing, stale or corrupt one where the index tools are installed.

    The export runs in a child process, so torch never enters the serving process's memory.
    """
    index_dir = Path(index_dir)
    key = (str(index_dir.resolve()), str(Path(layer_dir).resolve()) if layer_dir else "")
    with _lock:
        cached = _runtimes.get(key)
        if cached is not None and export_status(index_dir, layer_dir, verify_files=False).ok \
                and cached.folder.is_dir():
            return cached
        status = export_status(index_dir, layer_dir)
        if not status.ok:
            export_in_child(index_dir, layer_dir, status)
        _runtimes[key] = load_runtime(index_dir, layer_dir, checked=status.ok)
        return _runtimes[key]


def build_tools_missing() -> list[str]:
    """The packages of the `index` extra that this install lacks (none: it can export)."""
    return [m for m in ("torch", "sentence_transformers", "onnx") if importlib.util.find_spec(m) is None]


def export_in_child(index_dir: Path, layer_dir: Path | None, status: IndexStatus) -> None:
    """Re-export in a child process (torch stays out of this one); ModelError saying what to run if not."""
    missing = build_tools_missing()
    if missing:
        raise ModelError(f"the model export is {status}, and this install cannot rebuild it (no "
                         f"{', '.join(missing)}); {REBUILD}")
    args = [sys.executable, "-m", "bot.guidance.export", str(index_dir)] + ([str(layer_dir)] if layer_dir else [])
    done = subprocess.run(args, capture_output=True, text=True)  # the child keeps the hub offline itself
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"the model export is {status} and re-exporting it failed ({last}); {REBUILD}")
