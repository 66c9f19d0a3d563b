#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Evaluates the shipped spoken-digit model (models/digits/digits.safetensors)
on the held-out espeak-ng voices of make_data.py, clean and at 10 dB SNR.

- "torch": PyTorch inference (nn.LSTM + nn.Linear loaded from the exported
  file, normalization folded in) on fbank_dump features (seqfbank's own),
  greedy CTC.
- "gst": the real pipeline of pipelines/digits.sh (seqfbank ! seqlstm !
  seqhead ! seqctcdecode), one gst-launch per file, when --gst is given.
- "pocketsphinx": Debian's pocketsphinx (en-us acoustic model) with a JSGF
  digits grammar (models/digits/digits.gram), pocketsphinx_batch over the
  same files, when --pocketsphinx is given.

Digit error rate = sum of edit distances / number of reference digits.
Emission latency (utterances made of cut words, whose digit end times are
exact): for each digit of a correctly recognized utterance, the stream time
at which its token is final and leaves the decoder minus the end of the
spoken digit. A token is final at the first frame after its run (a blank or
another label); frame j can be computed once sample j*hop + lookahead - 1
is in (seqfbank's hop and lookahead: shift and window, times and plus the
stacked shifts), so the token leaves at (j*hop + lookahead)/rate (compute
time excluded).

usage: evaluate.py --model M --data DIR --fbank-dump PATH [--gst] \
    [--pocketsphinx] [--json OUT] [--markdown OUT]
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORD2D = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3",
          "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
          "nine": "9"}
SETS = [("clean", "eval_clean"), ("snr10", "eval_snr10")]


def read_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    t = {}
    for k, v in h.items():
        assert v["dtype"] == "F32"
        s, e = v["data_offsets"]
        t[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], "<f4")
                                .reshape(v["shape"]).copy())
    return t, meta


class Model(torch.nn.Module):
    def __init__(self, t):
        super().__init__()
        layers = len([k for k in t if k.startswith("lstm.weight_ih_l")])
        hid = t["lstm.weight_hh_l0"].shape[1]
        self.lstm = torch.nn.LSTM(t["lstm.weight_ih_l0"].shape[1], hid, layers)
        self.head = torch.nn.Linear(hid, t["head.weight"].shape[0])
        self.load_state_dict(t)


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def greedy_tokens(logp, blank):
    """[(label id, first frame, frame where it became final)]."""
    best = logp.argmax(-1).tolist()
    out, prev = [], blank
    for t, k in enumerate(best):
        if k != prev:
            if out and out[-1][2] is None:
                out[-1][2] = t
            if k != blank:
                out.append([k, t, None])
        prev = k
    if out and out[-1][2] is None:
        out[-1][2] = len(best)        # final at EOS
    return out


def fbank_features(fbank_dump, settings, files):
    with tempfile.TemporaryDirectory() as d:
        lst = os.path.join(d, "list")
        open(lst, "w").write("\n".join(files) + "\n")
        out = subprocess.run([fbank_dump] + settings + [lst,
                                                         os.path.join(d, "f")],
                             check=True, capture_output=True, text=True).stdout
        allf = np.fromfile(os.path.join(d, "f"), "<f4")
    rows = [line.split() for line in out.splitlines()]
    dim = int(rows[0][1])
    allf = allf.reshape(-1, dim)
    feats, pos = [], 0
    for r in rows:
        feats.append(allf[pos:pos + int(r[0])])
        pos += int(r[0])
    return feats


def percentiles(v):
    if not v:
        return None
    v = np.array(v) * 1000.0
    return {"p50_ms": round(float(np.percentile(v, 50)), 1),
            "p99_ms": round(float(np.percentile(v, 99)), 1),
            "n": len(v)}


def score(metas, hyps):
    errs = refs = sent = 0
    for m, h in zip(metas, hyps):
        r = m["digits"].split()
        e = edit_distance(h, r)
        errs += e
        refs += len(r)
        sent += e > 0
    return {"der": errs / refs, "errors": errs, "digits": refs,
            "utterances": len(metas), "utt_errors": sent}


def score_by_voice(metas, hyps, heldout_accents):
    """The score of each kind of held-out voice: an accent training never
    heard, or a training accent with a held-out voice variant."""
    groups = {}
    for m, h in zip(metas, hyps):
        g = ("held-out accent" if m["voice"].split("+")[0] in heldout_accents
             else "training accent, held-out variant")
        groups.setdefault(g, ([], []))
        groups[g][0].append(m)
        groups[g][1].append(h)
    return {g: score(ms, hs) for g, (ms, hs) in sorted(groups.items())}


def hop_and_lookahead(meta):
    """seqfbank's hop between (stacked) frames and its lookahead in samples:
    frame k is computed once sample k hop + lookahead - 1 is in."""
    rate = float(meta["seqfbank.rate"])
    shift = int(rate * float(meta["seqfbank.frame-shift"]) * 0.001)
    win = int(rate * float(meta["seqfbank.frame-length"]) * 0.001)
    stack = int(meta.get("seqfbank.stack", "1"))
    # stack-hop 0 or absent: the stack itself (no overlap)
    step = int(meta.get("seqfbank.stack-hop", "0")) or stack
    return shift * step, win + (stack - 1) * shift


def eval_torch(model_path, meta, tensors, metas, wav_dir, fbank_dump):
    settings = ["%s=%s" % (k[len("seqfbank."):], v) for k, v in meta.items()
                if k.startswith("seqfbank.")]
    labels = json.loads(meta["labels"])
    blank = int(meta["blank"])
    rate = float(meta["seqfbank.rate"])
    hop, look = hop_and_lookahead(meta)
    model = Model(tensors).eval()
    feats = fbank_features(fbank_dump, settings,
                           [os.path.join(wav_dir, m["file"]) for m in metas])
    hyps, lat, first = [], [], []
    with torch.no_grad():
        for m, f in zip(metas, feats):
            y, _ = model.lstm(torch.from_numpy(f)[:, None, :])
            lp = model.head(y)[:, 0].log_softmax(-1)
            toks = greedy_tokens(lp, blank)
            h = [labels[k] for k, _, _ in toks]
            hyps.append(h)
            if "ends" in m and h == m["digits"].split():
                for (k, t0, t1), end in zip(toks, m["ends"]):
                    lat.append((t1 * hop + look) / rate - end)
                    first.append((t0 * hop + look) / rate - end)
    return hyps, lat, first


def eval_checkpoint(ck, metas, wav_dir, fbank_dump):
    """Hypotheses of a train.py checkpoint (PyTorch, before export: also the
    models export.py cannot write, e.g. --lookahead)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import train
    model = train.Model(ck["dim"], ck["hidden"], ck["layers"],
                        ck.get("lookahead", 0))
    model.load_state_dict(ck["model"])
    model.eval()
    mean = torch.tensor(ck["mean"], dtype=torch.float32)
    std = torch.tensor(ck["std"], dtype=torch.float32)
    if ck.get("whiten") is not None:
        raise SystemExit("--checkpoint: a --whiten checkpoint is not "
                         "supported here (export it and use --model)")
    settings = ["%s=%s" % kv for kv in ck["fbank"].items()]
    feats = fbank_features(fbank_dump, settings,
                           [os.path.join(wav_dir, m["file"]) for m in metas])
    hyps = []
    with torch.no_grad():
        for f in feats:
            x = (torch.from_numpy(f) - mean) / std
            lp = model(x[:, None, :])[:, 0].log_softmax(-1)
            hyps.append([ck["labels"][k] for k, _, _ in
                         greedy_tokens(lp, ck["blank"])])
    return hyps


def eval_gst(model_path, meta, metas, wav_dir):
    """The pipeline of pipelines/digits.sh (its seqfbank settings from the
    model's metadata; appsink instead of filesink, to read each token's
    timestamps), one pipeline per file in this process. Returns the
    hypotheses and the emission latencies: a token leaves once the frame
    after its last one is computed, i.e. at stream time PTS + duration +
    lookahead / rate."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    props = " ".join("%s=%s" % (k[len("seqfbank."):], v)
                     for k, v in sorted(meta.items())
                     if k.startswith("seqfbank.") and k != "seqfbank.rate")
    rate = float(meta["seqfbank.rate"])
    look = hop_and_lookahead(meta)[1] / rate
    hyps, lat = [], []
    for m in metas:
        line = ("filesrc name=src ! wavparse ! audioconvert ! audioresample ! "
                "audio/x-raw,rate=%d,channels=1 ! seqfbank %s ! "
                "seqlstm model=\"%s\" ! seqhead model=\"%s\" "
                "activation=log-softmax ! seqctcdecode model=\"%s\" ! "
                "appsink name=sink sync=false"
                % (int(rate), props, model_path, model_path, model_path))
        p = Gst.parse_launch(line)
        p.get_by_name("src").set_property("location",
                                          os.path.join(wav_dir, m["file"]))
        sink = p.get_by_name("sink")
        p.set_state(Gst.State.PLAYING)
        toks = []
        while True:
            smp = sink.emit("try-pull-sample", 10 * Gst.SECOND)
            if smp is None:
                break
            b = smp.get_buffer()
            txt = b.extract_dup(0, b.get_size()).decode().strip()
            if txt:
                toks.append((txt, b.pts / Gst.SECOND,
                             (b.pts + b.duration) / Gst.SECOND))
        msg = p.get_bus().timed_pop_filtered(
            10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        p.set_state(Gst.State.NULL)
        if msg is None or msg.type == Gst.MessageType.ERROR:
            raise RuntimeError("pipeline failed on %s: %s" % (
                m["file"], msg.parse_error() if msg else "timeout"))
        h = [t[0] for t in toks]
        hyps.append(h)
        if "ends" in m and h == m["digits"].split():
            for (_, t0, t1), end in zip(toks, m["ends"]):
                lat.append(t1 + look - end)
    return hyps, lat


def eval_pocketsphinx(metas, wav_dir):
    gram = os.path.join(HERE, "digits.gram")
    model = "/usr/share/pocketsphinx/model/en-us"
    with tempfile.TemporaryDirectory() as d:
        ctl = os.path.join(d, "ctl")
        open(ctl, "w").write("".join(m["file"][:-4] + "\n" for m in metas))
        hyp = os.path.join(d, "hyp")
        subprocess.run(["pocketsphinx_batch", "-adcin", "yes", "-cepdir",
                        wav_dir, "-cepext", ".wav", "-adchdr", "44",
                        "-ctl", ctl, "-hmm", model + "/en-us",
                        "-dict", model + "/cmudict-en-us.dict",
                        "-jsgf", gram, "-hyp", hyp], check=True,
                       capture_output=True)
        got = {}
        for line in open(hyp):
            mm = re.match(r"^(.*?)\s*\((\S+)(\s+-?\d+)?\)\s*$", line)
            if mm:
                got[mm.group(2)] = [WORD2D[w] for w in mm.group(1).split()
                                    if w in WORD2D]
    return [got.get(m["file"][:-4], []) for m in metas]


def suite(a, tensors, meta):
    rows = [line.rstrip("\n").split("\t") for line in
            open(os.path.join(a.suite, "list.tsv"))]
    metas = [{"file": f, "digits": d} for f, d in rows]
    hyps, _, _ = eval_torch(a.model, meta, tensors, metas, a.suite,
                            a.fbank_dump)
    r = score(metas, hyps)
    lines = ["# models/digits/evaluate.py --suite: PyTorch greedy CTC on the "
             "fbank_dump features of tests/digits_suite_set.sh",
             "# errors %d digits %d der %.4f" % (r["errors"], r["digits"],
                                                 r["der"])]
    lines += ["%s\t%s\t%s" % (m["file"], m["digits"], " ".join(h))
              for m, h in zip(metas, hyps)]
    out = "\n".join(lines) + "\n"
    if a.suite_out:
        open(a.suite_out, "w").write(out)
    print(out, end="")


def markdown(res):
    rows = ["| system | set | digit error rate | errors / digits | "
            "utterances wrong | emission latency p50 / p99 | time (s) |",
            "|---|---|---|---|---|---|---|"]
    names = {"torch": "seqenc model, PyTorch on fbank_dump features",
             "gst": "seqenc model, gst-launch pipelines/digits.sh",
             "pocketsphinx": "PocketSphinx en-us + JSGF digits grammar"}
    for sys_ in ["torch", "gst", "pocketsphinx"]:
        for name, r in res["sets"].items():
            if sys_ not in r:
                continue
            x = r[sys_]
            lat = x.get("latency_final")
            lat_s = ("%.0f / %.0f ms (n=%d)" % (lat["p50_ms"], lat["p99_ms"],
                                                 lat["n"]) if lat else "")
            rows.append("| %s | %s | **%.2f %%** | %d / %d | %d / %d | %s | %s |"
                        % (names[sys_], {"clean": "clean",
                                         "snr10": "10 dB SNR"}[name],
                           100 * x["der"], x["errors"], x["digits"],
                           x["utt_errors"], x["utterances"], lat_s,
                           x["seconds"]))
    rows += ["", "| held-out voices (seqenc model, PyTorch) | clean | 10 dB SNR |",
             "|---|---|---|"]
    for g in res["sets"]["clean"]["torch"]["by_voice"]:
        cells = []
        for name in ["clean", "snr10"]:
            x = res["sets"][name]["torch"]["by_voice"][g]
            cells.append("%.2f %% (%d / %d)" % (100 * x["der"], x["errors"],
                                                x["digits"]))
        rows.append("| %s | %s | %s |" % (g, cells[0], cells[1]))
    return "\n".join(rows) + "\n"


def checkpoint_only(a):
    metas = [json.loads(line) for line in open(os.path.join(a.data,
                                                            "eval.jsonl"))]
    info = json.load(open(os.path.join(a.data, "data.json")))
    ck = torch.load(a.checkpoint)
    res = {"checkpoint": a.checkpoint, "lookahead": ck.get("lookahead", 0),
           "sets": {}}
    for name, sub in SETS:
        hyps = eval_checkpoint(ck, metas, os.path.join(a.data, sub),
                               a.fbank_dump)
        r = score(metas, hyps)
        r["by_voice"] = score_by_voice(metas, hyps, info["accents_heldout"])
        res["sets"][name] = r
    out = json.dumps(res, indent=1)
    if a.json:
        open(a.json, "w").write(out + "\n")
    print(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="an exported model (safetensors)")
    ap.add_argument("--checkpoint",
                    help="instead of --model: a train.py checkpoint, PyTorch "
                    "only (error rates by set and voice kind)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--fbank-dump", required=True)
    ap.add_argument("--gst", action="store_true")
    ap.add_argument("--pocketsphinx", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--markdown", help="write the results table here")
    ap.add_argument("--suite", metavar="DIR",
                    help="only the suite's fixed set (tests/digits_suite_set.sh"
                    " DIR): write the reference hypotheses and the bound "
                    "tests/test_digits_model.sh asserts to --suite-out")
    ap.add_argument("--suite-out")
    a = ap.parse_args()
    torch.set_num_threads(1)

    if a.checkpoint:
        return checkpoint_only(a)
    if not a.model:
        ap.error("--model or --checkpoint is required")
    tensors, meta = read_safetensors(a.model)
    if a.suite:
        return suite(a, tensors, meta)
    metas = [json.loads(line) for line in open(os.path.join(a.data,
                                                            "eval.jsonl"))]
    if a.limit:
        metas = metas[:a.limit]
    info = json.load(open(os.path.join(a.data, "data.json")))
    res = {"model": a.model, "data_seed": info["seed"],
           "utterances": len(metas),
           "heldout_accents": info["accents_heldout"],
           "heldout_variants": len(info["variants_heldout"]), "sets": {}}
    for name, sub in SETS:
        wav_dir = os.path.join(a.data, sub)
        r = {}
        t0 = time.time()
        hyps, lat, first = eval_torch(a.model, meta, tensors, metas, wav_dir,
                                      a.fbank_dump)
        r["torch"] = score(metas, hyps)
        r["torch"]["by_voice"] = score_by_voice(metas, hyps,
                                                info["accents_heldout"])
        r["torch"]["latency_final"] = percentiles(lat)
        r["torch"]["latency_first_win"] = percentiles(first)
        r["torch"]["seconds"] = round(time.time() - t0, 1)
        if a.gst:
            t0 = time.time()
            hyps, lat = eval_gst(a.model, meta, metas, wav_dir)
            r["gst"] = score(metas, hyps)
            r["gst"]["latency_final"] = percentiles(lat)
            r["gst"]["seconds"] = round(time.time() - t0, 1)
        if a.pocketsphinx:
            t0 = time.time()
            r["pocketsphinx"] = score(metas, eval_pocketsphinx(metas, wav_dir))
            r["pocketsphinx"]["seconds"] = round(time.time() - t0, 1)
        res["sets"][name] = r
        print(name, json.dumps(r), file=sys.stderr, flush=True)
    out = json.dumps(res, indent=1)
    if a.markdown:
        open(a.markdown, "w").write(markdown(res))
    if a.json:
        open(a.json, "w").write(out + "\n")
    print(out)


if __name__ == "__main__":
    main()
