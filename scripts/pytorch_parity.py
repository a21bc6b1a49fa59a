#!/usr/bin/env python3
"""Cross-check of `cargo bench` against PyTorch: times the same train steps
(embedding 20k x 128 -> cell -> last step -> dropout -> linear, Adam, clipping
at norm 1) in PyTorch with the same thread count, and prints the ratio to
criterion's median for each shape found under target/criterion.

    cargo bench --bench throughput -- train_step        # first, rnnbench
    python3 scripts/pytorch_parity.py --threads 2       # then PyTorch, same shapes

Options: --device cuda, --quick (the RNNBENCH_BENCH_QUICK subset). Needs a
Python with PyTorch; rnnbench itself does not.
"""
import argparse, json, os, statistics, time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=torch.get_num_threads())
p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
p.add_argument("--quick", action="store_true")
p.add_argument("--iters", type=int, default=10)
p.add_argument("--criterion", default="target/criterion")
args = p.parse_args()
torch.set_num_threads(args.threads)
dev = torch.device(args.device)

base = dict(hidden=128, seq=200, batch=64, layers=1, bi=False)
if args.quick:
    shapes = [base, {**base, "hidden": 256}, {**base, "seq": 50}, {**base, "batch": 1}]
else:
    shapes = [{**base, "hidden": h} for h in (64, 128, 256, 512)] + [{**base, "seq": t} for t in (50, 100, 400)]
    shapes += [{**base, "batch": 1}, {**base, "layers": 2}, {**base, "bi": True}]

def name(s):
    return f"h{s['hidden']}-t{s['seq']}-b{s['batch']}-l{s['layers']}{'-bi' if s['bi'] else ''}-th{args.threads}"

class Model(nn.Module):
    def __init__(self, cell, s):
        super().__init__()
        self.emb = nn.Embedding(20000, 128)
        kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = kind(128, s["hidden"], num_layers=s["layers"], bidirectional=s["bi"], batch_first=True,
                        dropout=0.3 if s["layers"] > 1 else 0.0)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(s["hidden"] * (2 if s["bi"] else 1), 2)
    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(self.drop(out[:, -1]))

def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()

group = "train_step" + ("-cuda" if args.device == "cuda" else "")
print(f"pytorch {torch.__version__}, device {args.device}, threads {args.threads}")
print(f"{'bench':<40} {'pytorch ms':>10} {'rnnbench ms':>11} {'ratio':>6}")
for s in shapes:
    for cell in ("lstm", "gru", "rnn"):
        torch.manual_seed(0)
        model = Model(cell, s).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        x = torch.randint(2, 20000, (s["batch"], s["seq"]), device=dev)
        y = torch.randint(0, 2, (s["batch"],), device=dev)
        def step():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        for _ in range(2):
            step()
        times = []
        for _ in range(args.iters):
            sync(); t = time.perf_counter(); step(); sync()
            times.append(time.perf_counter() - t)
        torch_ms = statistics.median(times) * 1e3
        bench = f"{group}/{cell}/{name(s)}"
        path = os.path.join(args.criterion, group, cell, name(s), "new", "estimates.json")
        ours = None
        if os.path.exists(path):
            with open(path) as f:
                ours = json.load(f)["median"]["point_estimate"] / 1e6
        ratio = f"{ours / torch_ms:6.2f}" if ours else "     -"
        print(f"{bench:<40} {torch_ms:10.2f} {ours if ours else float('nan'):11.2f} {ratio}", flush=True)
