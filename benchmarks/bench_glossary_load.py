"""Loading the red-flag glossary in a fresh process: built from bot/data/glossary.yaml against read from its
lookup cache (bot/safety/glossary.py, bot/safety/glosscache.py), side by side in one run.

    python benchmarks/bench_glossary_load.py [--runs 7]

Each run starts two fresh `python -c` processes, alternating, that import the glossary module and time
`Glossary.load()`: one with an empty cache folder (the lookup is built from the YAML and the cache written),
one with a cache folder already holding it. Prints the medians, their ratio and the number of keys.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = ("import time; t = time.perf_counter(); from bot.safety.glossary import Glossary; g = Glossary.load(); "
         "print(time.perf_counter() - t, len(g.english))")


def once(cache_dir: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KNEEBOT_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    seconds, keys = out.stdout.split()
    return float(seconds), int(keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    built, cached = [], []
    with tempfile.TemporaryDirectory() as warm:
        once(warm)  # writes the cache the "cached" runs read
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as empty:
                built.append(once(empty)[0])
            seconds, keys = once(warm)
            cached.append(seconds)
    b, c = statistics.median(built), statistics.median(cached)
    print(f"glossary keys: {keys}")
    print(f"built from the YAML : median {b * 1000:.0f} ms ({min(built) * 1000:.0f}-{max(built) * 1000:.0f})")
    print(f"read from the cache : median {c * 1000:.0f} ms ({min(cached) * 1000:.0f}-{max(cached) * 1000:.0f})")
    print(f"ratio built / cached: {b / c:.1f}x")


if __name__ == "__main__":
    main()
