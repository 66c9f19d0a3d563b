#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (small, committed).

Seeds are valid inputs and near-misses; the fuzzer mutates them. Run with
/usr/bin/python3 from anywhere. Targets whose parser is not built yet get
their seeds anyway (harmless)."""
import json
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(header, data, hlen=None):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h) if hlen is None else hlen) + h + data


def seeds_safetensors():
    put("safetensors", "valid_fixture",
        open(os.path.join(HERE, "..", "data", "weights_valid.safetensors"), "rb").read())
    put("safetensors", "f32_2x2", safetensors(
        {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(range(16))))
    put("safetensors", "f16_bf16_meta", safetensors(
        {"__metadata__": {"format": "pt"},
         "a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
         "b": {"dtype": "BF16", "shape": [], "data_offsets": [6, 8]},
         "e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [8, 8]}}, bytes(range(8))))
    put("safetensors", "lstm_like", safetensors(
        {"lstm.weight_ih_l0": {"dtype": "F32", "shape": [8, 3], "data_offsets": [0, 96]},
         "lstm.weight_hh_l0": {"dtype": "F32", "shape": [8, 2], "data_offsets": [96, 160]},
         "lstm.bias_ih_l0": {"dtype": "F32", "shape": [8], "data_offsets": [160, 192]},
         "lstm.bias_hh_l0": {"dtype": "F32", "shape": [8], "data_offsets": [192, 224]}},
        bytes(224)))
    put("safetensors", "overlap", safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "I64", "shape": [1], "data_offsets": [4, 12]}}, bytes(12)))
    put("safetensors", "bad_len", safetensors({"a": {"dtype": "U8", "shape": [1],
                                                     "data_offsets": [0, 1]}}, b"x", hlen=1 << 40))
    put("safetensors", "array_header", safetensors([1, 2, 3], b""))


def seeds_tensor_header():
    # NNStreamer 2.7 GstTensorMetaInfo: magic, version, type, dims[16], format, media.
    # fuzz_tensor_header.c reads byte 0 as the caps selector:
    #   bit 0 flexible, bits 1-2 caps type (0 any, 1 int32, 2 float32),
    #   bits 3-5 caps width (0 = none), bits 6-7 static frames - 1
    def hdr(ttype, dims, fmt=1, media=4, magic=0xfeedcced, version=0xde001000, payload=b""):
        d = list(dims) + [0] * (16 - len(dims))
        words = [magic, version, ttype] + d + [fmt, media]
        raw = struct.pack("<%dI" % len(words), *words)
        return raw + bytes(128 - len(raw)) + payload
    flex_f32, flex_i32_w1, flex_any = 0x05, 0x0b, 0x01
    put("tensor_header", "f32_80x3", bytes([flex_f32]) + hdr(7, [80, 3], payload=bytes(80 * 3 * 4)))
    put("tensor_header", "f32_4x2_w4", bytes([flex_f32 | (4 << 3)]) + hdr(7, [4, 2], payload=bytes(32)))
    put("tensor_header", "i32_1x5", bytes([flex_i32_w1]) + hdr(0, [1, 5], payload=bytes(20)))
    put("tensor_header", "f32_rank16", bytes([flex_any]) + hdr(7, [1] * 16, payload=bytes(4)))
    put("tensor_header", "f32_rank1", bytes([flex_any]) + hdr(7, [3], payload=bytes(12)))
    put("tensor_header", "bad_magic", bytes([flex_f32]) + hdr(7, [4, 1], magic=0x12345678, payload=bytes(16)))
    put("tensor_header", "short", bytes([flex_f32]) + hdr(7, [4, 1])[:100])
    put("tensor_header", "huge_dims", bytes([flex_any]) + hdr(7, [0xffffffff, 0xffffffff], payload=bytes(8)))
    put("tensor_header", "sparse", bytes([flex_any]) + hdr(7, [2, 1], fmt=2, payload=bytes(8)))
    # static caps: float32, width 2, 2 frames -> 16 bytes
    put("tensor_header", "static_2x2", bytes([0x04 | (2 << 3) | (1 << 6)]) + bytes(16))


def seeds_lstm_state():
    # fuzz_lstm_state.c: byte 0 selects the model (bit 0: with projection) and
    # whether the harness patches in the model identity (bit 1) and the CRC
    # (bit 2). Layout: lib/lstm-state.c, "SEQLSTMS" v1, 64-byte header.
    def blob(L, I, H, P, payload_vals, steps=5):
        O = P if P else H
        payload = struct.pack("<%df" % len(payload_vals), *payload_vals)
        assert len(payload) == 4 * L * (O + H)
        hdr = b"SEQLSTMS" + struct.pack("<IIIIIIII", 1, 64, L, I, H, P, 0, 0)
        hdr += struct.pack("<QQQ", 0, steps, len(payload))
        body = hdr + payload
        return body + struct.pack("<I", zlib.crc32(body) & 0xffffffff)
    n0 = 2 * (4 + 4)
    n1 = 2 * (2 + 4)
    put("lstm_state", "plain_patched", bytes([0x06]) + blob(2, 3, 4, 0, [0.25 * i for i in range(n0)]))
    put("lstm_state", "proj_patched", bytes([0x07]) + blob(2, 3, 4, 2, [-0.5 * i for i in range(n1)]))
    put("lstm_state", "nan_inf_patched", bytes([0x06]) + blob(2, 3, 4, 0, [float("nan"), float("inf")] * (n0 // 2)))
    put("lstm_state", "plain_unpatched", bytes([0x00]) + blob(2, 3, 4, 0, [0.0] * n0))
    put("lstm_state", "wrong_sizes", bytes([0x04]) + blob(1, 3, 4, 0, [0.0] * 8))
    put("lstm_state", "truncated", bytes([0x06]) + blob(2, 3, 4, 0, [0.0] * n0)[:70])


def seeds_fbank():
    # fuzz_fbank.c: selector, chunk seed, samples (f32 LE, or s16 with bit 5)
    import math
    sine = [math.sin(2 * math.pi * 440 * i / 16000) * 0.5 for i in range(1200)]
    put("fbank", "sine_f32_default", bytes([0x00, 7]) + struct.pack("<%df" % len(sine), *sine))
    put("fbank", "sine_s16_small", bytes([0x21, 3]) + struct.pack("<%dh" % 400, *[int(v * 20000) for v in sine[:400]]))
    put("fbank", "energy_nosnip", bytes([0x12, 9]) + struct.pack("<%df" % 300, *sine[:300]))
    put("fbank", "silence_s16", bytes([0x2b, 1]) + bytes(600))
    put("fbank", "nan_f32", bytes([0x01, 5]) + struct.pack("<4f", 0.1, float("nan"), 0.2, float("inf")))
    put("fbank", "raw_params", bytes([0x41, 2]) + struct.pack("<ddII", 25.0, 10.0, 40, 16000) + bytes(800))
    # bit 7 with chunk seed 100: stack 2 + 100 % 31 = 9, stack hop 100 // 31 = 3
    put("fbank", "stack9_hop3_nosnip", bytes([0x88, 100]) + struct.pack("<%df" % len(sine), *sine))
    # fuzz_fbank_state.c: selector, u16 samples to feed, blob or XOR mask
    put("fbank_state", "genuine_after_300", bytes([0x03]) + struct.pack("<H", 300) + bytes(16))
    put("fbank_state", "genuine_flip", bytes([0x03]) + struct.pack("<H", 500) + bytes(20) + b"\x01")
    # bit 2: the stack 3 / stack hop 1 filterbank, its blob with the overlap
    put("fbank_state", "overlap_after_900", bytes([0x07]) + struct.pack("<H", 900) + bytes(16))
    put("fbank_state", "overlap_flip", bytes([0x07]) + struct.pack("<H", 1000) + bytes(60) + b"\x01")
    put("fbank_state", "raw", bytes([0x02]) + struct.pack("<H", 0) + struct.pack("<II", 0x42465153, 1) + bytes(52))


def seeds_text():
    # fuzz_vocab_txt.c: flags byte, u16 vocab length, vocab.txt, text
    def vt(flags, vocab, text):
        return bytes([flags]) + struct.pack("<H", len(vocab)) + vocab + text
    bert = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n##s\nhello\n##llo\nwor\n##ld\ncaf\n##\u00e9\n\u4e2d\n".encode()
    put("vocab_txt", "bert_small", vt(1 | (100 << 1), bert, "Hello, World! the worlds caf\u00e9 \u4e2d\u6587".encode()))
    put("vocab_txt", "cased_short_words", vt(0 | (5 << 1), bert, b"hello hellohellohello wor ld"))
    put("vocab_txt", "crlf_trailing_space", vt(1, b"[UNK]\r\na  \r\n##b\t\n\xe2\x80\x83x\xc2\xa0\n", b"ab a b x"))
    put("vocab_txt", "no_unk", vt(1, b"a\nb\n", b"ab"))
    put("vocab_txt", "invalid_utf8", vt(1, b"[UNK]\n\xff\n", b"\xff"))
    put("vocab_txt", "accents", vt(1, bert, "\u00c9COLE Cr\u00e8me br\u00fbl\u00e9e \u212b \ufb01".encode()))

    # fuzz_bpe.c: u16 encoder length, u16 merges length, encoder.json, vocab.bpe, text
    def bp(enc, merges, text):
        return struct.pack("<HH", len(enc), len(merges)) + enc + merges + text
    enc = json.dumps({"!": 0, "a": 1, "b": 2, "ab": 3, "\u0120": 4, "\u0120t": 5, "h": 6, "e": 7,
                      "he": 8, "\u0120the": 9, "t": 10, "<|endoftext|>": 11}).encode()
    merges = "#version: 0.2\na b\n\u0120 t\nh e\n\u0120t he\n".encode()
    put("bpe", "small", bp(enc, merges, b"ab the abab!! the"))
    put("bpe", "contractions", bp(enc, merges, b"it's we'll they're I'd   \n\n x"))
    put("bpe", "unicode", bp(enc, merges, "caf\u00e9 \u2713 \U0001F600 123".encode()))
    put("bpe", "bad_json", bp(b"{\"a\": 1,", merges, b"a"))
    put("bpe", "bad_merge", bp(enc, b"#version: 0.2\na\n", b"a"))
    put("bpe", "merge_unknown", bp(enc, b"#version: 0.2\nx y\n", b"xy"))

    # fuzz_tokenizer_stream.c: mode byte, chunk seed byte, text
    for name, s in [("ascii", b"Hello, world! The quick brown fox."),
                    ("utf8", "caf\u00e9 \u2713 \U0001F600 na\u00efve \u4e2d\u6587".encode()),
                    ("invalid_utf8", b"ab\xff\xfe\xc3(\xe2\x82 \xf0\x9f\x98"),
                    ("numbers", b"1234 5678 don't it's  \n\n the"),
                    ("controls", b"a\x00b\x0bc\x0cd\xc2\x85e\ttab")]:
        for mode in range(5):
            put("tokenizer_stream", "%s_%d" % (name, mode), bytes([mode, 0x5a]) + s)


def seeds_ctc_state():
    # fuzz_ctc_state.c: selector, frames to decode, blob or XOR mask.
    # A genuine blob: 5 labels, blank 1, log-probs, 7 frames fed, label 2
    # open since frame 6 with posterior sum 0.95 (seqenc/ctc.h layout).
    blob = struct.pack("<IIIIIIQQdII", 0x54435153, 1, 5, 1, 0, 2, 7, 6, 0.95,
                       0, 0)
    blob += struct.pack("<I", zlib.crc32(blob) & 0xffffffff)
    put("ctc_state", "genuine_raw", bytes([0, 0]) + blob)
    put("ctc_state", "genuine_raw_recrc", bytes([2, 0]) + blob)
    put("ctc_state", "xor_zero", bytes([1, 9]) + bytes(len(blob)))
    put("ctc_state", "xor_finished", bytes([5, 8]) + bytes(len(blob)))
    put("ctc_state", "xor_label_recrc", bytes([3, 7]) + bytes(20) + b"\x07")
    put("ctc_state", "xor_version_recrc", bytes([3, 4]) + bytes(4) + b"\x03")
    put("ctc_state", "truncated", bytes([0, 0]) + blob[:30])


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    seeds_safetensors()
    seeds_tensor_header()
    seeds_lstm_state()
    seeds_fbank()
    seeds_text()
    seeds_ctc_state()


if __name__ == "__main__":
    main()
