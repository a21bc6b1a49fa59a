#!/usr/bin/env python3
"""Plain-Python side-by-side for benches/pipeline.rs: the same steps on the
same files (JSON Lines load, regex tokenizer, vocabulary from the training
portion, encode the first 256 tokens), standard library only.

Usage: python3 benches/pipeline.py [DATASET_DIR] [REPEATS]   (default datasets/imdb, 3)
"""
import collections
import gzip
import json
import os
import random
import re
import sys
import time

TAG = re.compile(r"<[/a-zA-Z][^>]{0,255}>")
TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[^\w\s\"'\u201c\u201d\u2018\u2019]|_")


def tokenize(text):
    return TOKEN.findall(TAG.sub(" ", text.lower()))


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run(folder, max_len=256, vocab_size=20000, val_fraction=0.1, seed=1):
    t0 = time.perf_counter()
    files = sorted(os.listdir(folder))
    train = load(os.path.join(folder, next(f for f in files if f.startswith("train."))))
    test = load(os.path.join(folder, next(f for f in files if f.startswith("test."))))
    t1 = time.perf_counter()
    rng = random.Random(seed)
    idx = list(range(len(train)))
    rng.shuffle(idx)
    n_val = int(len(idx) * val_fraction)
    val_set = set(idx[:n_val])
    train_tok = [tokenize(r["text"]) for r in train]
    test_tok = [tokenize(r["text"]) for r in test]
    counts = collections.Counter()
    for i, toks in enumerate(train_tok):
        if i not in val_set:
            counts.update(toks)
    words = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: vocab_size - 2]
    vocab = {w: i + 2 for i, (w, _) in enumerate(words)}
    encoded = [[vocab.get(t, 1) for t in toks[:max_len]] or [1] for toks in train_tok + test_tok]
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, t2 - t0, len(encoded)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "datasets/imdb"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for _ in range(repeats):
        load_s, prep_s, total_s, n = run(folder)
        print(f"python {folder}: load {load_s:.3f} s, prepare {prep_s:.3f} s, total {total_s:.3f} s ({n} reviews)")
