// SPDX-License-Identifier: LGPL-2.1-or-later
// Reference side of the tokenizer benchmark: npm tiktoken ("gpt2",
// encode_ordinary) and npm tokenizers (BertWordPiece pipeline), one thread,
// best of ROUNDS encodes of the whole text. Prints lines in the format of
// bench_tokenizer.c.
//   node bench_tokenizer_ref.mjs bpe|wordpiece VOCAB_DIR TEXT [ROUNDS]
import { readFileSync } from 'fs';
import { makeEncoder } from '../ref/encode.mjs';

const [mode, vocabDir, file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const bytes = readFileSync(file);
const text = new TextDecoder('utf-8').decode(bytes);

function checksum(ids) {
  let h = 2166136261 >>> 0;
  for (const v of ids)
    for (let k = 0; k < 4; k++) {
      h ^= (v >>> (8 * k)) & 0xff;
      h = Math.imul(h, 16777619) >>> 0;
    }
  return h.toString(16).padStart(8, '0');
}

const t0 = process.hrtime.bigint();
const enc = await makeEncoder(mode, vocabDir);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
let best = Infinity, ids = [];
for (let r = 0; r < rounds; r++) {
  const s = process.hrtime.bigint();
  ids = await enc.encode(text);
  best = Math.min(best, Number(process.hrtime.bigint() - s) / 1e9);
}
// tokenizers is slow on one 4 MB sequence; its usual use is many short
// ones: also time encodeBatch over the lines (same ids for BERT, as a
// newline is whitespace), one thread (TOKENIZERS_PARALLELISM=false).
let lines = '';
if (enc.encodeLines) {
  const parts = text.split('\n');
  let bestL = Infinity, n = 0;
  for (let r = 0; r < rounds; r++) {
    const s = process.hrtime.bigint();
    n = await enc.encodeLines(parts);
    bestL = Math.min(bestL, Number(process.hrtime.bigint() - s) / 1e9);
  }
  if (n !== ids.length) throw new Error('line-wise ids differ');
  lines = ` lines_mbps=${(bytes.length / bestL / 1e6).toFixed(2)}`;
}
const name = mode === 'bpe' ? 'tiktoken' : 'tokenizers';
console.log(`${name} ${mode} bytes=${bytes.length} ids=${ids.length} ` +
    `checksum=${checksum(ids)} load_s=${load.toFixed(3)} ` +
    `whole_mbps=${(bytes.length / best / 1e6).toFixed(2)}${lines}`);
enc.free();
