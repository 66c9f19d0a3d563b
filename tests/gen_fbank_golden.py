#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden log-mel features for tests/test_fbank.c, from the reference
torchaudio.compliance.kaldi.fbank (Debian python3-torchaudio 0.13).

Run: /usr/bin/python3 tests/gen_fbank_golden.py [OUT]
     (default OUT: tests/data/fbank_golden.safetensors)

Inputs:
  synth    1.2 s at 16 kHz made here from a fixed seed: a chirp, two tones,
           noise, a burst of exact digital silence; stored in the file (I16).
  hello16k the first 2 s of /usr/share/sounds/linphone/hello16000.wav
           (Debian package linphone-common), 16 kHz speech.
  prompt8k /usr/share/asterisk/sounds/en_US_f_Allison/activated.wav
           (Debian package asterisk-core-sounds-en-wav), 8 kHz speech.
  Recorded speech is not copied into the repository: the test reads the same
  file and checks the excerpt's SHA-256 recorded in the metadata.

With --speech-wav, it (re)makes instead tests/data/fbank_speech.wav, the
input of pipelines/wav-fbank.sh: espeak-ng (Debian espeak-ng 1.51) speaking
SPEECH_TEXT, 22.05 kHz mono S16 (so the pipeline also exercises
audioresample); espeak-ng's output is deterministic for a given version.

Every golden tensor "<input>/<config>" is F32 [frames, dim]. The metadata
holds, per tensor, a JSON object of the options (Kaldi names) and the input;
per recorded input, its path, offset, count and SHA-256.

torchaudio's defaults differ from Kaldi's: dither (torchaudio 0, Kaldi 1) and
energy_floor (torchaudio 1, Kaldi 0). Every call here passes both explicitly
(dither=0; energy_floor=0 unless the config sets it), as seqenc uses Kaldi's
energy floor and no dither.
"""
import hashlib
import json
import math
import os
import struct
import sys
import wave

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi

HELLO16K = "/usr/share/sounds/linphone/hello16000.wav"
PROMPT8K = "/usr/share/asterisk/sounds/en_US_f_Allison/activated.wav"

# name -> options in Kaldi's names (the C test maps them onto SeqFbankParams)
CONFIGS = {
    "synth": [
        ("default", {}),
        ("hamming_nosnip", {"window-type": "hamming", "snip-edges": False}),
        ("hanning_energy", {"window-type": "hanning", "use-energy": True}),
        ("rect_highneg_40", {"window-type": "rectangular", "high-freq": -400.0,
                             "low-freq": 60.0, "num-mel-bins": 40}),
        ("blackman_noraw_floor", {"window-type": "blackman", "use-energy": True,
                                  "raw-energy": False, "energy-floor": 1.0,
                                  "preemphasis-coefficient": 0.0,
                                  "remove-dc-offset": False}),
        ("len32_shift12_nosnip", {"frame-length": 32.0, "frame-shift": 12.5,
                                  "snip-edges": False, "num-mel-bins": 64}),
    ],
    "hello16k": [
        ("default", {}),
        ("nosnip_energy", {"snip-edges": False, "use-energy": True}),
    ],
    "prompt8k": [
        ("default_40", {"num-mel-bins": 40}),
        ("nosnip_hamming_23", {"num-mel-bins": 23, "snip-edges": False,
                               "window-type": "hamming", "high-freq": -200.0}),
    ],
}

KALDI_TO_TORCHAUDIO = {
    "sample-frequency": "sample_frequency",
    "frame-length": "frame_length",
    "frame-shift": "frame_shift",
    "num-mel-bins": "num_mel_bins",
    "low-freq": "low_freq",
    "high-freq": "high_freq",
    "preemphasis-coefficient": "preemphasis_coefficient",
    "remove-dc-offset": "remove_dc_offset",
    "window-type": "window_type",
    "use-energy": "use_energy",
    "raw-energy": "raw_energy",
    "energy-floor": "energy_floor",
    "snip-edges": "snip_edges",
}


def synth_signal():
    rate = 16000
    n = int(1.2 * rate)
    t = np.arange(n) / rate
    rng = np.random.default_rng(20261129)
    chirp = 6000.0 * np.sin(2 * np.pi * (100.0 * t + 0.5 * 3000.0 * t * t))
    tones = 3000.0 * np.sin(2 * np.pi * 440.0 * t) + 1500.0 * np.sin(2 * np.pi * 3150.0 * t + 0.3)
    noise = rng.normal(0.0, 800.0, n)
    x = chirp + tones + noise
    x[int(0.50 * rate):int(0.58 * rate)] = 0.0  # exact silence: log floor
    x = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    return x, rate


def read_wav(path, seconds=None):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        rate = w.getframerate()
        n = w.getnframes()
        if seconds is not None:
            n = min(n, int(seconds * rate))
        data = w.readframes(n)
    x = np.frombuffer(data, dtype="<i2").copy()
    return x, rate


def fbank(x_int16, rate, opts):
    kw = {"sample_frequency": float(rate), "dither": 0.0, "energy_floor": 0.0,
          "num_mel_bins": 80}
    for k, v in opts.items():
        kw[KALDI_TO_TORCHAUDIO[k]] = v
    if "window_type" in kw:
        kw["window_type"] = kw["window_type"]
    wav = torch.from_numpy(x_int16.astype(np.float32)).unsqueeze(0)
    return kaldi.fbank(wav, **kw).numpy().astype("<f4")


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name, arr in tensors:
        dtype = {np.dtype("<f4"): "F32", np.dtype("<i2"): "I16"}[arr.dtype]
        b = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


SPEECH_TEXT = "Speech features, ten milliseconds at a time."


def make_speech_wav(here):
    import subprocess
    out = os.path.join(here, "data", "fbank_speech.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "170", "-w", out, SPEECH_TEXT], check=True)
    print("wrote", out, os.path.getsize(out), "bytes")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if "--speech-wav" in sys.argv[1:]:
        make_speech_wav(here)
        return
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "data", "fbank_golden.safetensors")
    inputs = {}
    meta = {}
    x, rate = synth_signal()
    inputs["synth"] = (x, rate)
    for name, path, secs in (("hello16k", HELLO16K, 2.0), ("prompt8k", PROMPT8K, None)):
        x, rate = read_wav(path, secs)
        inputs[name] = (x, rate)
        meta["input:" + name] = json.dumps({
            "path": path, "count": int(len(x)), "rate": rate,
            "sha256": hashlib.sha256(x.astype("<i2").tobytes()).hexdigest()})

    tensors = [("synth/input", inputs["synth"][0].astype("<i2"))]
    meta["input:synth"] = json.dumps({"tensor": "synth/input", "rate": inputs["synth"][1],
                                      "count": int(len(inputs["synth"][0]))})
    for src, configs in CONFIGS.items():
        x, rate = inputs[src]
        for cname, opts in configs:
            feats = fbank(x, rate, opts)
            name = "%s/%s" % (src, cname)
            tensors.append((name, np.ascontiguousarray(feats)))
            meta[name] = json.dumps(opts, sort_keys=True)
            print("%-34s %4d x %3d  range [%.2f, %.2f]" % (name, feats.shape[0], feats.shape[1],
                                                          feats.min(), feats.max()))
    meta["generator"] = "tests/gen_fbank_golden.py, torchaudio %s, torch %s" % (
        __import__("torchaudio").__version__, torch.__version__)
    write_safetensors(out, tensors, meta)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
