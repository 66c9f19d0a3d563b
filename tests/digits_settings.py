#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prints the "seqfbank.*" settings in a model file's safetensors metadata as
PROPERTY=VALUE words (stdlib only; used by the digits tests).
usage: digits_settings.py MODEL [--no-rate]"""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    meta = json.loads(f.read(n)).get("__metadata__", {})
words = ["%s=%s" % (k[len("seqfbank."):], v) for k, v in sorted(meta.items())
         if k.startswith("seqfbank.")]
if "--no-rate" in sys.argv:
    words = [w for w in words if not w.startswith("rate=")]
if not words:
    sys.exit("%s: no seqfbank.* metadata" % sys.argv[1])
print(" ".join(words))
