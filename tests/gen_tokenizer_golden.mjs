// SPDX-License-Identifier: LGPL-2.1-or-later
// Writes the tokenizer golden data from the real reference tokenizers:
//   tests/data/tok_corpus.bin            the corpus: records separated by 0x1e
//   tests/data/tok_golden_gpt2.txt       npm tiktoken "gpt2", encode_ordinary
//   tests/data/tok_golden_bert_uncased.txt  npm tokenizers (HF Rust core):
//                                        WordPiece + BertNormalizer(lowercase,
//                                        strip accents) + BertPreTokenizer
//   tests/data/tok_golden_bert_cased.txt the same with lowercase=false
//   tests/data/tok_golden_chars.txt      the code points of each decoded record
//   tests/data/tok_golden_gpt2_hf.txt    npm tokenizers on gpt2-tokenizer.json
//                                        (Hugging Face's BPE merge rule)
// one line of space-separated ids per record. Records are bytes; the
// references get them decoded with U+FFFD per maximal ill-formed subpart
// (WHATWG TextDecoder), which is seqenc's documented policy.
//
// Run: tests/fetch-vocab.sh && node tests/gen_tokenizer_golden.mjs
import { writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { makeEncoder } from './ref/encode.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const vocabDir = join(here, 'data', 'vocab');
const out = join(here, 'data');

const B = (s) => Buffer.from(s, 'utf8');
const X = (hex) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const cat = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? B(p) : p)));

const records = [
  // English prose, contractions, punctuation
  "Hello, World! How are you today? I'm fine, you're kind; they've gone, we'll see, he'd say, it's John's.",
  "THEY'RE HERE. I'M SURE. IT'S JOHN'S. 'Quoted' ''double'' '''triple''' 's 't 'll",
  "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!",
  "don't can't won't shouldn't y'all o'clock rock'n'roll 'tis 'twas ma'am",
  "e.g. i.e. etc. Mr. Dr. U.S.A. 3.14159 1,000,000 $42.50 50% #hashtag @user a&b <tag> x=y+z*2/3 ~ ^ ` |",
  "unaffable unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
  // other languages
  'Größe, Straße, Fußgängerübergänge; ÄÖÜ äöü ß ẞ',
  "Café naïve résumé façade coöperate élève À bientôt, Noël! L'été dernier",
  '¿Dónde está la biblioteca? ¡Olé! Mañana, niño, pingüino.',
  'Привет, мир! Как дела? Съешь же ещё этих мягких французских булок, да выпей чаю.',
  'Καλημέρα κόσμε· ΟΔΥΣΣΕΥΣ Σίσυφος ΣΊΣΥΦΟΣ ς σ Σ',
  'مرحبا بالعالم! كيف حالك؟ ١٢٣٤٥٦٧٨٩٠',
  'שלום עולם! מה שלומך?',
  'नमस्ते दुनिया! आप कैसे हैं? हिन्दी देवनागरी',
  '你好，世界！我爱北京天安门。中文字符测试：汉字、標點符號。',
  'こんにちは、世界！お元気ですか？カタカナ ひらがな 漢字 ｶﾀｶﾅ',
  '안녕하세요, 세상! 오늘 기분이 어때요? 한국어',
  'สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่าง',
  'Xin chào thế giới! Tiếng Việt có dấu: ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ',
  'İstanbul IŞIK ılık İ ı i I — Türkçe; Lietuvių ąčęėįšųūž; Polski zażółć gęślą jaźń',
  'ǅ ǈ ǋ ǲ ﬁ ﬂ ﬀ Å Ω K ℃ ℉ ① ² ½ Ⅻ ⅻ ＡＢＣ１２３ ｈｅｌｌｏ',
  // combining marks, NFD/NFC
  cat('e', X('cc81'), ' cafe', X('cc81'), ' n', X('cc83'), 'o a', X('cc88cc81'), ' Z', X('cda2cd9dcd8a'), 'algo'),
  'ḱṷṓn ǘ ṩ ậ ệ ỗ ặ ḍ ẓ',
  '한글 한글 가나다 ㄱㄴㄷ',
  // code
  '#include <stdio.h>\nint main (void) {\n  printf ("%d\\n", 42);\n  return 0;\n}\n',
  'def f(x):\n    """Docstring."""\n    return [i ** 2 for i in range(x) if i % 2 == 0]\n\n\nclass A(object):\n\tpass\n',
  '{"key": "value", "list": [1, 2.5, -3e10, true, null], "nested": {"a": "b"}}',
  'SELECT * FROM users WHERE id = 42 AND name LIKE \'%foo%\';\n',
  'https://example.com/path?query=1&x=y#frag user@example.org C:\\Windows\\System32 /usr/bin/env',
  'fn main() { let v: Vec<u8> = vec![0x00, 0xff]; println!("{:?}", v); } // 🦀',
  '<html><body><p class="x">Hi&nbsp;there</p></body></html>',
  // emoji
  'Hello 👋 world 🌍! 😀😃😄😁 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵🇺🇸 ❤️ ✨🎉 🤖',
  '🥰🤯🫠🦀 🧑🏿‍🚀 ☕ ⌚ ♻️ 1️⃣ #️⃣',
  // whitespace runs
  'a  b   c    d\t\te\t \tf \n g\n\n\nh\r\n\r\ni   ',
  '   leading spaces and trailing   ',
  '\n\n\n',
  ' ',
  '',
  'word\u00a0nbsp\u3000ideographic\u2028line\u2029para\u2003em\u200bzwsp\u2009thin',
  'tab\tsep\tvalues\there\n  indented\n    more\n\tmixed \t \n',
  'x' + ' '.repeat(40) + 'y' + '\n'.repeat(7) + 'z' + '\t'.repeat(5) + ' end',
  // control characters
  'ctrl\u0001chars\u0002here\u0007bell\u001bescape\u007fdel\u000bvt\u000cff\u0085nel end',
  'zero\u200dwidth\u200cjoin\ufeffbom\u00adsoft\u2060wj\u202eRLO\u202c',
  cat('nul', X('00'), 'byte', X('00 00'), ' after'),
  // numbers
  '0 1 12 123 1234 12345 123456 3.14 2024-01-01 10:30:00 +49 (0)30 1234567 ⅷ ١٢٣ ๑๒๓',
  // long words (> 100 characters), repetition
  'a'.repeat(150) + ' ' + 'ab'.repeat(60) + ' short ' + 'x'.repeat(100) + ' ' + 'y'.repeat(101),
  'supercalifragilisticexpialidocious '.repeat(3) + 'é'.repeat(120),
  '!!!!!!!!!!!!??????......-------======******' + '😀'.repeat(30),
  // invalid UTF-8
  cat('bad ', X('ff'), ' byte ', X('c3'), ' lone lead ', X('c3 28'), ' bad continuation'),
  cat('truncated emoji ', X('f0 9f 98'), ' and ', X('e2 82'), '!'),
  cat('surrogate ', X('ed a0 80'), ' overlong ', X('c0 af'), X('e0 80 af'), ' too big ', X('f4 90 80 80'), X('f8 88 80 80 80')),
  cat('continuations ', X('80 81 bf'), ' mixed', X('e6 97'), 'text', X('fe fe ff ff')),
  cat(X('ef bf bd'), ' literal replacement char ', X('ef bf bd ef bf bd')),
  cat('ends inside a sequence ', X('e4 bd')),
];

// Long pre-tokens (the heap merge path): letters from a fixed LCG.
{
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) >> 8) % 26;
  let w = '';
  for (let i = 0; i < 3000; i++) w += String.fromCharCode(97 + rnd());
  records.push(w + ' ' + w.toUpperCase().slice(0, 700) + ' ' + '7'.repeat(500));
}

// Every 499th code point in "a<c>b <c><c> " contexts, for the GPT-2
// pre-tokenizer's Unicode classes (\p{L}, \p{N}, \s) across all planes.
// The BERT goldens leave this record out: Hugging Face's tokenizers classify
// with older Unicode tables than GLib for code points assigned since (see
// tests/check_tokenizer_codepoints.sh and the note in tests/test_tokenizer.c).
const cps = [];
for (let c = 0; c < 0x110000; c += 499) {
  if (c >= 0xd800 && c <= 0xdfff) continue;
  if (c === 0x1e) continue;
  const ch = String.fromCodePoint(c);
  cps.push('a' + ch + 'b ' + ch + ch + ' ');
}
const codepointRecord = cps.join('');

const bufs = records.map((r) => (typeof r === 'string' ? B(r) : r));
for (const b of bufs)
  if (b.includes(0x1e)) throw new Error('record holds the separator 0x1e');

async function golden(mode, recs) {
  const enc = await makeEncoder(mode, vocabDir);
  const dec = new TextDecoder('utf-8', { fatal: false });
  const lines = [];
  for (const r of recs) lines.push((await enc.encode(dec.decode(r))).join(' '));
  enc.free();
  return lines.join('\n') + '\n';
}

const withCp = [...bufs, B(codepointRecord)];
writeFileSync(join(out, 'tok_corpus.bin'), Buffer.concat(
    withCp.flatMap((b, i) => (i ? [Buffer.from([0x1e]), b] : [b]))));
writeFileSync(join(out, 'tok_golden_gpt2.txt'), await golden('bpe', withCp));
writeFileSync(join(out, 'tok_golden_gpt2_hf.txt'), await golden('bpe-hf', withCp));
// BERT: the same records without the code point sweep (last line empty)
writeFileSync(join(out, 'tok_golden_bert_uncased.txt'),
    (await golden('wordpiece', bufs)) + '-\n');
writeFileSync(join(out, 'tok_golden_bert_cased.txt'),
    (await golden('wordpiece-cased', bufs)) + '-\n');
writeFileSync(join(out, 'tok_golden_chars.txt'), withCp.map((r) =>
    Array.from(new TextDecoder('utf-8').decode(r)).map((c) => c.codePointAt(0)).join(' '))
    .join('\n') + '\n');
console.log(`wrote ${withCp.length} records`);
