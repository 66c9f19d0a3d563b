#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden data for the learned positional encoding (tests/test_posenc.c,
tests/test_element_posenc.c, pipelines/text-posenc-learned.sh), made with
PyTorch.

tests/data/posenc_learned.safetensors, BERT-style names:
  - bert.embeddings.position_embeddings.weight [12, 16]: the table, an
    nn.Embedding(12, 16) as BERT's position_embeddings;
  - bert.embeddings.word_embeddings.weight [40, 16]: a decoy 2-D tensor
    (auto-detection must pick the position table by its name);
  - test.input [30, 16]: frames;
  - test.add_wrap [30, 16]: input + table[p mod 12] (p = 0..29), computed
    with the embedding module on torch.arange(30) % 12;
  - test.concat_wrap [30, 32]: cat(input, table[p mod 12]);
  - test.add_start5 [7, 16]: input[:7] + table[5 .. 11] (start=5, the last
    position of the table is 11).
tests/data/posenc_embedding.safetensors: a bare nn.Embedding(8, 6)
state_dict ("weight" [8, 6]), the only 2-D tensor of its file.

Run: /usr/bin/python3 tests/gen_posenc_learned.py [outdir]
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_lstm_fixtures import write_safetensors  # noqa: E402


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    torch.manual_seed(1234)
    pos = torch.nn.Embedding(12, 16)
    words = torch.nn.Embedding(40, 16)
    x = torch.randn(30, 16)
    with torch.no_grad():
        p = torch.arange(30) % 12
        add_wrap = x + pos(p)
        concat_wrap = torch.cat([x, pos(p)], -1)
        add_start5 = x[:7] + pos(torch.arange(5, 12))
    meta = {"generator": "tests/gen_posenc_learned.py, torch %s" %
            torch.__version__}
    write_safetensors(os.path.join(outdir, "posenc_learned.safetensors"), {
        "bert.embeddings.position_embeddings.weight": pos.weight,
        "bert.embeddings.word_embeddings.weight": words.weight,
        "test.input": x,
        "test.add_wrap": add_wrap,
        "test.concat_wrap": concat_wrap,
        "test.add_start5": add_start5,
    }, meta)
    emb = torch.nn.Embedding(8, 6)
    write_safetensors(os.path.join(outdir, "posenc_embedding.safetensors"),
                      dict(emb.state_dict()), meta)


if __name__ == "__main__":
    main()
