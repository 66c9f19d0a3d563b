// SPDX-License-Identifier: LGPL-2.1-or-later
// ONNX Runtime side of the LSTM benchmark (run by run_lstm_bench.sh):
// frames/s of the ONNX LSTM (and GRU) exported by bench_lstm_ref.py (same
// weights as the safetensors files the C benchmark loads), through the
// onnxruntime-node binding (npm onnxruntime-node, which ships
// libonnxruntime.so).
//
// usage: node bench_lstm_ort.js DIR [threads] [seconds] [spin 0|1] [points]
//            [cells: lstm,gru]
// Prints one JSON object per point, as bench_lstm.c.
'use strict';
const ort = require('onnxruntime-node');
const path = require('path');

const CONFIGS = { speech: [80, 512, 3], text: [256, 256, 2] };

async function main () {
  const dir = process.argv[2];
  const threads = parseInt(process.argv[3] || '2');
  const seconds = parseFloat(process.argv[4] || '1');
  const spin = process.argv[5] || '0';
  const points = (process.argv[6] || 'b1_t1,b1_t100,b64_t1,b256_t1').split(',');
  const cells = (process.argv[7] || 'lstm').split(',');

  const opts = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spin } } }
  };
  // per-call cost of the binding itself, measured on a pass-through model
  // with the same tensors (lets the table estimate ORT's C-API speed)
  const passthrough = await ort.InferenceSession.create(
    path.join(dir, 'passthrough.onnx'), opts);
  for (const cell of cells) {
    const lstm = cell === 'lstm';
    for (const cfg of Object.keys(CONFIGS)) {
      const [I, H, L] = CONFIGS[cfg];
      const session = await ort.InferenceSession.create(
        path.join(dir, (lstm ? '' : 'gru_') + cfg + '.onnx'), opts);
      for (const p of points) {
        const m = /^b(\d+)_t(\d+)$/.exec(p);
        const B = parseInt(m[1]);
        const T = parseInt(m[2]);
        const x = new Float32Array(T * B * I);
        let seed = 1;
        for (let i = 0; i < x.length; i++) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          x[i] = seed / 1073741824 - 1;
        }
        const xt = new ort.Tensor('float32', x, [T, B, I]);
        let h = new ort.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
        let c = new ort.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
        // the LSTM carries (h, c), the GRU h only
        const step = async () => {
          const out = await session.run(lstm ? { x: xt, h0: h, c0: c }
            : { x: xt, h0: h });
          h = out.hn;
          if (lstm) c = out.cn;
          return out;
        };
        let out;
        let t0 = performance.now();
        while (performance.now() - t0 < 100) out = await step();
        let frames = 0;
        let calls = 0;
        let t1;
        t0 = performance.now();
        for (;;) {
          for (let r = 0; r < 10; r++) out = await step();
          calls += 10;
          frames += 10 * B * T;
          t1 = performance.now();
          if (t1 - t0 >= seconds * 1000) break;
        }
        // binding overhead: same feeds through the pass-through model (for
        // the GRU the c0 it does not have is fed too: an upper bound)
        const pt = performance.now();
        let pcalls = 0;
        const ptEnd = pt + Math.min(300, seconds * 300);
        while (performance.now() < ptEnd) {
          await passthrough.run({ x: xt, h0: h, c0: c });
          pcalls++;
        }
        const overheadUs = (performance.now() - pt) * 1000 / pcalls;
        console.log(JSON.stringify({
          impl: 'onnxruntime',
          cell: cell,
          tag: 'node binding, spinning ' + (spin === '1' ? 'on' : 'off'),
          config: cfg,
          point: p,
          precision: 'f32',
          threads: threads,
          fps: Math.round(frames / ((t1 - t0) / 1000) * 10) / 10,
          calls: calls,
          overhead_us_per_call: Math.round(overheadUs * 10) / 10,
          frames_per_call: B * T,
          check: out.y.data[0]
        }));
      }
      await session.release();
    }
  }
  await passthrough.release();
}

main().catch((e) => { console.error(e); process.exit(1); });
