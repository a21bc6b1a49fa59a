#!/usr/bin/env python3
"""What a user would write instead of rnnbench: a plain PyTorch script.

Loads the JSON Lines splits, tokenizes with a regex, builds a 20k vocabulary,
pads/truncates every review to 256 tokens, and trains the same classifier as
rnnbench (embedding 128 -> LSTM or GRU -> last step -> dropout -> linear) with
Adam, batch 64. Holds out the same fraction of the training reviews for
validation as rnnbench does (a seeded random 10%). Prints, per epoch, the
seconds of training (training only, like rnnbench's train_secs), their
running total, the validation and test accuracy, and the time to a target
validation accuracy (like rnnbench's secs_to_target), for a side-by-side
check; `--json` prints the same as one JSON object per epoch:

    python3 scripts/pytorch_reference.py --dataset datasets/imdb --cell lstm --threads 2 --epochs 1

At rnnbench's defaults (imdb-mini, the last 128 tokens, e64, LSTM h64 / GRU h77,
batch 128, Adam 0.004, 4 epochs):

    python3 scripts/pytorch_reference.py --dataset datasets/imdb-mini --keep last --max-len 128 \
        --embed 64 --batch-size 128 --lr 0.004 --epochs 4 --threads 2 --cell gru --hidden 77

Needs a Python with PyTorch (not needed by rnnbench itself).
"""
import argparse, collections, json, os, re, time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--dataset", default="datasets/imdb")
p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "transformer"],
               help="transformer: learned positions, one pre-LN nn.TransformerEncoderLayer with 2 heads "
                    "and feed-forward --hidden, a key-padding mask, a final layer norm and the mean over "
                    "the real tokens (rnnbench's --models transformer at its defaults: --hidden 62)")
p.add_argument("--hidden", type=int, default=None, help="default: 128 for LSTM, 155 for GRU (matched)")
p.add_argument("--embed", type=int, default=128)
p.add_argument("--max-len", type=int, default=256)
p.add_argument("--keep", default="first", choices=["first", "last"],
               help="first: the first max-len tokens, right-padded, the state at the last real token; "
                    "last: the last max-len tokens, pre-padded (Keras style), the state after the last step "
                    "(rnnbench's defaults keep the last 128 tokens)")
p.add_argument("--vocab-size", type=int, default=20000)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--lr", type=float, default=2e-3)
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--seed", type=int, default=1)
p.add_argument("--val-fraction", type=float, default=0.1,
               help="held out of training, as rnnbench does, so both train on the same number of reviews")
p.add_argument("--target-acc", type=float, default=None,
               help="validation accuracy (0-1) whose first reaching is reported as secs_to_target")
p.add_argument("--json", action="store_true", help="one JSON object per epoch instead of a line of text")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

def read(path):
    import gzip
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["text"] for r in rows], [r["label"] for r in rows]

def find(split):
    for ext in (".jsonl", ".jsonl.gz"):
        path = os.path.join(args.dataset, split + ext)
        if os.path.exists(path):
            return path
    raise SystemExit(f"no {split}.jsonl[.gz] in {args.dataset}")

t0 = time.perf_counter()
train_x, train_y = read(find("train"))
test_x, test_y = read(find("test"))
token_re = re.compile(r"[a-z0-9']+")
def tokenize(text):
    return token_re.findall(text.lower().replace("<br />", " "))
train_tok = [tokenize(t) for t in train_x]
test_tok = [tokenize(t) for t in test_x]
counts = collections.Counter(w for toks in train_tok for w in toks)
itos = ["<pad>", "<unk>"] + [w for w, _ in counts.most_common(args.vocab_size - 2)]
stoi = {w: i for i, w in enumerate(itos)}
classes = sorted(set(train_y))
def encode(tokss, labels):
    x = torch.zeros(len(tokss), args.max_len, dtype=torch.long)
    lengths = torch.zeros(len(tokss), dtype=torch.long)
    for i, toks in enumerate(tokss):
        kept = toks[: args.max_len] if args.keep == "first" else toks[-args.max_len:]
        ids = [stoi.get(w, 1) for w in kept] or [1]
        if args.keep == "first":
            x[i, : len(ids)] = torch.tensor(ids)
            lengths[i] = len(ids)
        else:
            x[i, args.max_len - len(ids):] = torch.tensor(ids)
            lengths[i] = args.max_len
    y = torch.tensor([classes.index(l) for l in labels])
    return x, lengths, y
g = torch.Generator().manual_seed(args.seed)
order = torch.randperm(len(train_tok), generator=g).tolist()
n_val = int(len(train_tok) * args.val_fraction)
held, keep = order[:n_val], order[n_val:]
val_tok, val_y = [train_tok[i] for i in held], [train_y[i] for i in held]
train_tok = [train_tok[i] for i in keep]
train_y = [train_y[i] for i in keep]
xtr, ltr, ytr = encode(train_tok, train_y)
xva, lva, yva = encode(val_tok, val_y)
xte, lte, yte = encode(test_tok, test_y)
prep_secs = time.perf_counter() - t0

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(len(itos), args.embed)
        self.pos = nn.Embedding(args.max_len, args.embed)
        self.block = nn.TransformerEncoderLayer(args.embed, 2, dim_feedforward=args.hidden or 62,
                                                dropout=0.3, batch_first=True, norm_first=True)
        self.norm = nn.LayerNorm(args.embed)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(args.embed, len(classes))
    def forward(self, x, lengths):
        pad = x == 0
        h = self.emb(x) + self.pos(torch.arange(x.size(1)))
        h = self.norm(self.block(h, src_key_padding_mask=pad))
        real = (~pad).unsqueeze(-1).float()
        pooled = (h * real).sum(1) / real.sum(1).clamp(min=1.0)
        return self.head(self.drop(pooled))

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        hidden = args.hidden or (128 if args.cell == "lstm" else 155)
        self.emb = nn.Embedding(len(itos), args.embed)
        rnn = nn.LSTM if args.cell == "lstm" else nn.GRU
        self.rnn = rnn(args.embed, hidden, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(hidden, len(classes))
    def forward(self, x, lengths):
        out, _ = self.rnn(self.emb(x))
        last = out[torch.arange(x.size(0)), lengths - 1]
        return self.head(self.drop(last))

model = Encoder() if args.cell == "transformer" else Model()
print(f"parameters: {sum(p.numel() for p in model.parameters())}", flush=True) if not args.json else None
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
loss_fn = nn.CrossEntropyLoss()

def accuracy(x, lengths, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), 256):
            pred = model(x[i : i + 256], lengths[i : i + 256]).argmax(1)
            correct += (pred == y[i : i + 256]).sum().item()
    return correct / max(len(y), 1)

cumulative_secs = 0.0
secs_to_target = None
for epoch in range(1, args.epochs + 1):
    model.train()
    perm = torch.randperm(len(ytr))
    start = time.perf_counter()
    for i in range(0, len(perm), args.batch_size):
        idx = perm[i : i + args.batch_size]
        opt.zero_grad()
        loss = loss_fn(model(xtr[idx], ltr[idx]), ytr[idx])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_secs = time.perf_counter() - start
    cumulative_secs += train_secs
    val_acc = accuracy(xva, lva, yva)
    test_acc = accuracy(xte, lte, yte)
    if secs_to_target is None and args.target_acc is not None and val_acc >= args.target_acc:
        secs_to_target = cumulative_secs
    if args.json:
        print(json.dumps({"tool": "pytorch", "torch": torch.__version__, "cell": args.cell,
                          "seed": args.seed, "threads": args.threads, "epoch": epoch,
                          "train_reviews": len(ytr), "train_secs": train_secs,
                          "cumulative_train_secs": cumulative_secs, "val_acc": val_acc,
                          "test_acc": test_acc, "target_acc": args.target_acc,
                          "secs_to_target": secs_to_target, "prep_secs": prep_secs}), flush=True)
    else:
        target = "" if args.target_acc is None else (
            f" secs_to_target {secs_to_target:.1f}" if secs_to_target is not None else " target not reached")
        print(f"pytorch {torch.__version__} {args.cell} threads={args.threads} seed={args.seed} epoch {epoch}: "
              f"{len(ytr)} reviews, train_secs {train_secs:.1f} (total {cumulative_secs:.1f}) "
              f"val_acc {val_acc:.4f} test_acc {test_acc:.4f}{target} (prep {prep_secs:.1f} s)", flush=True)
