#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trains the streaming spoken-digit model of models/digits/ (CTC over the
digits 0-9 plus blank) on seqenc's own features.

Features: tests/fbank_dump (libseqenc's filterbank, the calls and settings of
seqfbank: see FBANK below, which export.py writes into the model's metadata).
Normalization: one global mean and standard deviation per feature bin over
the training set (streaming: no per-utterance statistics); export.py folds
them into LSTM layer 0, so the pipeline has no normalization element.

Model: nn.LSTM (unidirectional, so it streams) + nn.Linear to 11 classes,
class 0 = blank, class 1 + d = digit d. Adam with warm-up and cosine decay,
SortaGrad (first epoch short to long), SpecAugment (frequency and time
masks) from epoch --specaug-from (masks from the second epoch kept the
model on CTC's all-blank plateau for many epochs), a fixed number of epochs
(no checkpoint selection on the evaluation voices).

The pilot options (--whiten, --clean-first, --short-epochs, --limit,
--fmask/--tmask, --average-last) are what models/digits/EVAL.md's
experiments varied; the recipe uses none of them.

usage: train.py --data DIR --fbank-dump PATH --out CKPT [--epochs N] ...
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

# OpenBLAS (Debian's torch BLAS) would start its own threads under torch's:
# on a shared 2-core machine that oversubscription costs ~10x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

# The front end: seqfbank property -> value (gst-launch syntax). Digital
# silence (exact zeros in synthesized audio and padding) is handled by
# seqfbank's seeded dither, identically in training (fbank_dump) and in the
# pipeline. The recipe takes 25 ms windows every 10 ms, three of them side
# by side in one LSTM step every 30 ms (--stack 3: seqfbank's stack
# property); the defaults here are the single 45 ms window every 30 ms of
# the previous model (models/digits/EVAL.md compares them).
FBANK = {
    "num-mel-bins": "80",
    "frame-length": "45",
    "frame-shift": "30",
    "dither": "1",
    "dither-seed": "1",
    "rate": "16000",
}
LABELS = ["<blank>"] + [str(d) for d in range(10)]
BLANK = 0


def fbank_settings():
    return ["%s=%s" % kv for kv in FBANK.items()]


def load_features(fbank_dump, wav_dir, manifest, cache):
    """Features of every manifest entry, via fbank_dump (one process)."""
    metas = [json.loads(line) for line in open(manifest)]
    lst = cache + ".list"
    with open(lst, "w") as f:
        for m in metas:
            f.write(os.path.join(wav_dir, m["file"]) + "\n")
    out = subprocess.run([fbank_dump] + fbank_settings() + [lst, cache],
                         check=True, capture_output=True, text=True).stdout
    counts = [int(line.split()[0]) for line in out.splitlines()]
    dim = int(out.splitlines()[0].split()[1])
    allf = np.fromfile(cache, "<f4").reshape(-1, dim)
    feats, pos = [], 0
    for n in counts:
        feats.append(allf[pos:pos + n])
        pos += n
    assert pos == len(allf) and len(feats) == len(metas)
    return metas, feats


class Model(torch.nn.Module):
    """LSTM + linear head. With @lookahead K, step t reads frames t .. t + K
    side by side: K frames of right context, K hops of latency. Past the end
    of an utterance the last frame is repeated, so T frames give T steps:
    exactly seqfbank with stack (K + 1) n and stack-hop n over the n-frame
    stacks the features have (which completes a stack that runs past the
    end of the stream with copies of its last hop of frames; export.py
    writes those settings, evaluate.py --gst checks the pipeline against
    this model)."""

    def __init__(self, dim, hidden, layers, lookahead=0):
        super().__init__()
        self.lookahead = lookahead
        self.lstm = torch.nn.LSTM(dim * (lookahead + 1), hidden, layers)
        self.head = torch.nn.Linear(hidden, len(LABELS))

    def forward(self, x, lens=None):
        """x: [T, B, dim] normalized (zero padded after each of the @lens,
        default all T); returns [T, B, K] logits."""
        if self.lookahead:
            T, B = x.shape[0], x.shape[1]
            K = self.lookahead
            ext = torch.cat([x, x.new_zeros((K,) + tuple(x.shape[1:]))])
            for b in range(B):
                n = T if lens is None else int(lens[b])
                if n > 0:
                    ext[n:n + K, b] = x[n - 1, b]
            x = torch.cat([ext[k:k + T] for k in range(K + 1)], -1)
        y, _ = self.lstm(x)
        return self.head(y)


def greedy(logits):
    """Greedy CTC: per-frame argmax, merge repeats, drop blanks."""
    best = logits.argmax(-1).tolist()
    out, prev = [], BLANK
    for k in best:
        if k != prev and k != BLANK:
            out.append(k)
        prev = k
    return out


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def spec_augment(x, g, fmask=10, tmask=5):
    """x: [T, dim] normalized; masks set to 0 (the global mean)."""
    T, F = x.shape
    for _ in range(2):
        w = int(torch.randint(0, fmask + 1, (1,), generator=g))
        f0 = int(torch.randint(0, F - w + 1, (1,), generator=g))
        x[:, f0:f0 + w] = 0
    for _ in range(2):
        w = int(torch.randint(0, min(tmask + 1, max(1, T // 8)) + 1, (1,),
                              generator=g))
        t0 = int(torch.randint(0, max(1, T - w + 1), (1,), generator=g))
        x[t0:t0 + w, :] = 0
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--fbank-dump", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=18)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--dev", type=int, default=300,
                    help="last N training utterances kept for monitoring")
    ap.add_argument("--limit", type=int, default=0,
                    help="train on the first N utterances only (pilots)")
    ap.add_argument("--warmup", type=int, default=150, help="warm-up steps")
    ap.add_argument("--fmask", type=int, default=10,
                    help="SpecAugment: widest frequency mask (bins)")
    ap.add_argument("--tmask", type=int, default=5,
                    help="SpecAugment: widest time mask (frames)")
    ap.add_argument("--no-sortagrad", action="store_true")
    ap.add_argument("--specaug-from", type=int, default=2, metavar="EPOCH",
                    help="SpecAugment from this epoch on (1-based): masks "
                    "slow the first learning down")
    ap.add_argument("--short-epochs", type=int, default=0,
                    help="curriculum: first N epochs on 1-2 digit utterances")
    ap.add_argument("--frame-length", default=FBANK["frame-length"],
                    help="seqfbank frame-length (ms)")
    ap.add_argument("--frame-shift", default=FBANK["frame-shift"],
                    help="seqfbank frame-shift (ms)")
    ap.add_argument("--stack", type=int, default=1,
                    help="seqfbank stack: N consecutive frames side by side "
                    "in one LSTM step")
    ap.add_argument("--average-last", type=int, default=0, metavar="K",
                    help="also write CKPT.avg: the mean of the weights after "
                    "each of the last K epochs (checkpoint averaging)")
    ap.add_argument("--clean-first", action="store_true",
                    help="first (SortaGrad) epoch on noise-free utterances")
    ap.add_argument("--whiten", type=float, default=0.0,
                    help="ZCA-whiten the standardized features, eigenvalue "
                    "floor EPS (0: per-bin standardization only)")
    ap.add_argument("--init", metavar="CKPT",
                    help="start from this checkpoint (a second stage: its "
                    "weights; the normalization statistics are recomputed "
                    "from the same data, hence equal)")
    ap.add_argument("--lookahead", type=int, default=0, metavar="K",
                    help="each step also reads the next K frames (right "
                    "context; export.py sets seqfbank's stack and stack-hop)")
    ap.add_argument("--threads", type=int,
                    default=int(os.environ.get("DIGITS_THREADS", "1")))
    a = ap.parse_args()
    FBANK["frame-length"] = a.frame_length
    FBANK["frame-shift"] = a.frame_shift
    if a.stack > 1:
        FBANK["stack"] = str(a.stack)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    t_start = time.time()

    def log(msg):
        print("[%7.1fs] %s" % (time.time() - t_start, msg), flush=True)

    cache = os.path.join(a.data, "train-%s.f32" % "-".join(
        FBANK[k] for k in ("frame-length", "frame-shift", "stack") if k in FBANK))
    metas, feats = load_features(a.fbank_dump, os.path.join(a.data, "train"),
                                 os.path.join(a.data, "train.jsonl"), cache)
    dim = feats[0].shape[1]
    log("features: %d utterances, %d frames, dim %d (fbank_dump %s)"
        % (len(feats), sum(len(f) for f in feats), dim, " ".join(fbank_settings())))
    train_idx = list(range(len(feats) - a.dev))
    if a.limit:
        train_idx = train_idx[:a.limit]
    dev_idx = list(range(len(feats) - a.dev, len(feats)))
    cat = np.concatenate([feats[i] for i in train_idx]).astype(np.float64)
    mean = cat.mean(0)
    std = np.sqrt(cat.var(0)) + 1e-5
    del cat
    log("global mean %.3f..%.3f, std %.3f..%.3f" % (mean.min(), mean.max(),
                                                     std.min(), std.max()))
    mean_t = torch.tensor(mean, dtype=torch.float32)
    std_t = torch.tensor(std, dtype=torch.float32)
    X = [(torch.from_numpy(f) - mean_t) / std_t for f in feats]
    # Whitening (ZCA) of the standardized features: their correlation is
    # dominated by one direction, the overall level (gain, distance, noise),
    # which carries ~3/4 of the variance and slows learning (a long
    # all-blank plateau). A fixed linear map, so export.py folds it into
    # LSTM layer 0 with the mean and std: still streaming, no new element.
    whiten = None
    if a.whiten > 0:
        z = torch.cat([X[i][::4] for i in train_idx]).double()
        cov = z.T @ z / len(z)
        e, u = torch.linalg.eigh(cov)
        whiten = (u * (e.clamp(min=0) + a.whiten).rsqrt()) @ u.T
        log("whitening (ZCA, eps %g): correlation eigenvalues %.2f %.2f %.2f "
            "... %.4f" % (a.whiten, e[-1], e[-2], e[-3], e[0]))
        del z
    whiten_t = whiten.float() if whiten is not None else None
    Y = [[1 + int(d) for d in m["digits"].split()] for m in metas]

    model = Model(dim, a.hidden, a.layers, a.lookahead)
    # forget-gate bias 1 (gate order i, f, g, o): memory from the start
    with torch.no_grad():
        for name, p in model.lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[a.hidden:2 * a.hidden] = 1.0
    first_epoch = 0
    if a.init:
        ck = torch.load(a.init)
        model.load_state_dict(ck["model"])
        assert np.array_equal(ck["mean"], mean) and np.array_equal(ck["std"], std)
        first_epoch = ck["epochs_done"]
        log("initialized from %s (%d epochs done)" % (a.init, first_epoch))
    nparams = sum(p.numel() for p in model.parameters())
    log("model: LSTM %d x %d + Linear(%d), %d parameters, %d threads"
        % (a.layers, a.hidden, len(LABELS), nparams, a.threads))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
    steps_per_epoch = math.ceil(len(train_idx) / a.batch)
    total = steps_per_epoch * a.epochs
    warm = min(a.warmup, total // 10)

    def lr_at(step):
        if step < warm:
            return a.lr * (step + 1) / warm
        p = (step - warm) / max(1, total - warm)
        return a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))

    def batches(ep):
        if ep < a.short_epochs:
            # curriculum: the first epochs on utterances of 1-2 digits
            short = [i for i in train_idx if len(Y[i]) <= 2]
            perm = torch.randperm(len(short), generator=g).tolist()
            order = [short[i] for i in perm]
            return [order[k:k + a.batch] for k in range(0, len(order), a.batch)]
        if ep == 0 and not a.init and not a.no_sortagrad:
            # SortaGrad (Deep Speech 2): the first epoch from short to long
            # utterances gets CTC off the all-blank plateau much sooner
            first = train_idx
            if a.clean_first:
                # curriculum: the first epoch only on utterances without
                # added noise (their digits are the easiest to find)
                first = [i for i in train_idx if "snr" not in metas[i]]
            order = sorted(first, key=lambda i: (len(Y[i]), len(X[i])))
            return [order[k:k + a.batch] for k in range(0, len(order), a.batch)]
        perm = torch.randperm(len(train_idx), generator=g).tolist()
        order = [train_idx[i] for i in perm]
        # buckets of 20 batches sorted by length: little padding
        group = a.batch * 20
        out = []
        for s in range(0, len(order), group):
            chunk = sorted(order[s:s + group], key=lambda i: len(X[i]))
            out += [chunk[k:k + a.batch] for k in range(0, len(chunk), a.batch)]
        p2 = torch.randperm(len(out), generator=g).tolist()
        return [out[i] for i in p2]

    def evaluate(idx):
        model.eval()
        errs = refs = 0
        with torch.no_grad():
            for i in idx:
                x = X[i] if whiten_t is None else X[i] @ whiten_t.T
                hyp = greedy(model(x[:, None, :])[:, 0])
                errs += edit_distance(hyp, Y[i])
                refs += len(Y[i])
        model.train()
        return errs / refs

    step = 0
    win = 0.0
    avg, n_avg = None, 0
    for ep in range(a.epochs):
        t0 = time.time()
        tot = n = 0
        for b in batches(ep):
            # SpecAugment from the second epoch on
            xs = [spec_augment(X[i].clone(), g, a.fmask, a.tmask)
                  if ep + 1 >= a.specaug_from or a.init else X[i] for i in b]
            lens = torch.tensor([len(x) for x in xs])
            x = torch.nn.utils.rnn.pad_sequence(xs)          # [T, B, dim]
            if whiten_t is not None:
                x = x @ whiten_t.T
            tgt = torch.tensor([t for i in b for t in Y[i]])
            tl = torch.tensor([len(Y[i]) for i in b])
            for pg in opt.param_groups:
                pg["lr"] = lr_at(step)
            lp = model(x, lens).log_softmax(-1)
            loss = ctc(lp, tgt, lens, tl)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tot += float(loss)
            win += float(loss)
            n += 1
            step += 1
            if step % 50 == 0:
                log("epoch %d step %d loss %.4f (last 50: %.4f) lr %.5f"
                    % (first_epoch + ep + 1, step, tot / n, win / 50,
                       lr_at(step)))
                win = 0.0
        der = evaluate(dev_idx)
        log("epoch %d done in %.0fs: train loss %.4f, dev (training voices) "
            "digit error %.2f%%" % (first_epoch + ep + 1, time.time() - t0,
                                    tot / n, 100 * der))
        def save(state, path):
            torch.save({"model": state, "mean": mean, "std": std,
                        "whiten": None if whiten is None else whiten.numpy(),
                        "fbank": FBANK, "labels": LABELS, "blank": BLANK,
                        "hidden": a.hidden, "layers": a.layers, "dim": dim,
                        "lookahead": a.lookahead,
                        "epochs_done": first_epoch + ep + 1, "args": vars(a)},
                       path)
        save(model.state_dict(), a.out)
        if a.average_last and ep >= a.epochs - a.average_last:
            sd = {k: v.detach().double() for k, v in model.state_dict().items()}
            if avg is None:
                avg, n_avg = sd, 1
            else:
                avg = {k: avg[k] + sd[k] for k in avg}
                n_avg += 1
    log("done: %d steps" % step)
    if avg is not None:
        final = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict({k: (v / n_avg).float() for k, v in avg.items()})
        log("average of the last %d epochs: dev (training voices) digit error "
            "%.2f%%" % (n_avg, 100 * evaluate(dev_idx)))
        save(model.state_dict(), a.out + ".avg")
        model.load_state_dict(final)


if __name__ == "__main__":
    main()
