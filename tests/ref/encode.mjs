// SPDX-License-Identifier: LGPL-2.1-or-later
// Reference token ids from the real reference tokenizers.
//   node encode.mjs bpe|bpe-hf|wordpiece|wordpiece-cased VOCAB_DIR INPUT
// INPUT holds records separated by the byte 0x1e; each record is decoded as
// UTF-8 with U+FFFD for each maximal ill-formed subpart (WHATWG TextDecoder,
// the policy seqenc documents) and tokenized alone; prints one line of
// space-separated ids per record.
//   bpe:        npm tiktoken, encoding "gpt2", encode_ordinary (no specials)
//   bpe-hf:     npm tokenizers from VOCAB_DIR/gpt2-tokenizer.json (BPE model,
//               ByteLevel pre-tokenizer)
//   wordpiece:  npm tokenizers (Hugging Face's Rust core): WordPiece model on
//               vocab.txt, BertNormalizer, BertPreTokenizer, no post-processor
import { createRequire } from 'module';
import { readFileSync } from 'fs';
const require = createRequire(import.meta.url);

export async function makeEncoder(mode, vocabDir) {
  if (mode === 'bpe') {
    const { get_encoding } = require('tiktoken');
    const enc = get_encoding('gpt2');
    return { encode: async (s) => Array.from(enc.encode_ordinary(s)), free: () => enc.free() };
  }
  const tk = require('tokenizers');
  if (mode === 'bpe-hf') {
    // Hugging Face's BPE model + ByteLevel pre-tokenizer from a tokenizer.json
    // (tests/fetch-vocab.sh writes GPT-2's from encoder.json + vocab.bpe)
    const t = tk.Tokenizer.fromFile(vocabDir + '/gpt2-tokenizer.json');
    return {
      encode: async (s) => (await t.encode(s, null, { addSpecialTokens: false })).getIds(),
      free: () => {},
    };
  }
  const lower = mode === 'wordpiece';
  const model = await tk.WordPiece.fromFile(vocabDir + '/vocab.txt',
      { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true,
      stripAccents: lower, lowercase: lower }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  return {
    encode: async (s) => (await t.encode(s, null, { addSpecialTokens: false })).getIds(),
    // number of ids of a batch of texts (benchmark)
    encodeLines: async (a) => (await t.encodeBatch(a, { addSpecialTokens: false }))
        .reduce((n, e) => n + e.getIds().length, 0),
    free: () => {},
  };
}

export function splitRecords(buf) {
  const out = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x1e) {
      out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, vocabDir, input] = process.argv.slice(2);
  const enc = await makeEncoder(mode, vocabDir);
  const dec = new TextDecoder('utf-8', { fatal: false });
  const lines = [];
  for (const rec of splitRecords(readFileSync(input)))
    lines.push((await enc.encode(dec.decode(rec))).join(' '));
  process.stdout.write(lines.join('\n') + '\n');
  enc.free();
}
