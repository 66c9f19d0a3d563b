/* seqenc — stacked LSTM driver over one chunk of steps: the only OpenMP code
 * of the LSTM. Work is split over independent outputs only (panels of gate
 * columns x blocks of rows); each output element is computed by one kernel
 * call with the fixed operation order of kernels.h, so the result does not
 * depend on the thread count or on which thread computes what. */
#include "kernels.h"

#include <string.h>
#ifdef SEQ_HAVE_OPENMP
#include <omp.h>
#endif

/* Rows per work item (a multiple of every micro-kernel's row block). */
#define ROWS_PER_ITEM 96

guint
seq_kernels_max_threads (void)
{
#ifdef SEQ_HAVE_OPENMP
  return (guint) MAX (1, omp_get_num_procs ());
#else
  return 1;
#endif
}

/* Items are (panel, row block) pairs, panel-major so that one thread's
 * consecutive items stream consecutive panels. */
static inline void
item_range (guint item, guint n_rb, guint M, guint * p, guint * m0,
    guint * m1)
{
  guint rb = item % n_rb;
  *p = item / n_rb;
  *m0 = rb * ROWS_PER_ITEM;
  *m1 = MIN (M, *m0 + ROWS_PER_ITEM);
}

void
seq_lstm_run_chunk (const SeqKernels * k, guint n_threads,
    const SeqLstmNet * net, SeqLstmScratch * s, guint B, guint T,
    const float *x, gsize ldx, float *out, gsize ldout, gboolean all_layers)
{
  const guint L = net->L, Hp = net->Hp, O = net->O;
  const gsize ldo = net->ldo, ldg = (gsize) 4 * Hp;
  const guint rows = T * B;
  const guint n_rb_all = (rows + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint n_rb_b = (B + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint gate_panels = (4 * Hp) / 64;
  const guint proj_panels = net->P ? (net->P + 63) / 64 : 0;

  if (T == 0 || B == 0)
    return;

#ifdef SEQ_HAVE_OPENMP
#pragma omp parallel num_threads(n_threads) if(n_threads > 1)
#endif
  {
    const float *lin = x;
    gsize ldin = ldx;

    for (guint l = 0; l < L; l++) {
      const SeqLstmLayerK *ly = &net->layers[l];
      float *y = s->y[l & 1];
      float *h0 = s->h0 + (gsize) l * B * ldo;
      float *c = s->c + (gsize) l * B * Hp;
      gint n_items;

      /* input projection of all T steps: pre = X W_ih + b (one GEMM);
       * for T = 1 it is fused into the step instead (same operations,
       * one barrier less) */
      n_items = T > 1 ? (gint) (gate_panels * n_rb_all) : 0;
#ifdef SEQ_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
      for (gint it = 0; it < n_items; it++) {
        guint p, m0, m1;
        item_range ((guint) it, n_rb_all, rows, &p, &m0, &m1);
        k->gemm (lin + m0 * ldin, ldin, m1 - m0, &ly->wx, p, p + 1,
            ly->bias, 0, s->pre + m0 * ldg, ldg);
      }

      for (guint t = 0; t < T; t++) {
        const float *hprev = t == 0 ? h0 : y + (gsize) (t - 1) * B * ldo;
        float *yt = y + (gsize) t * B * ldo;
        float *hout = net->P ? s->hraw : yt;
        gsize ldhout = net->P ? Hp : ldo;

        n_items = (gint) (gate_panels * n_rb_b);
#ifdef SEQ_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (gint it = 0; it < n_items; it++) {
          guint p, m0, m1;
          item_range ((guint) it, n_rb_b, B, &p, &m0, &m1);
          if (T == 1)
            k->lstm_step (lin + m0 * ldin, ldin, &ly->wx, hprev + m0 * ldo,
                ldo, m1 - m0, &ly->wh, p, p + 1, ly->bias, 0, c + m0 * Hp,
                Hp, hout + m0 * ldhout, ldhout);
          else
            k->lstm_step (NULL, 0, NULL, hprev + m0 * ldo, ldo, m1 - m0,
                &ly->wh, p, p + 1, s->pre + ((gsize) t * B + m0) * ldg, ldg,
                c + m0 * Hp, Hp, hout + m0 * ldhout, ldhout);
        }
        if (net->P) {
          n_items = (gint) (proj_panels * n_rb_b);
#ifdef SEQ_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
          for (gint it = 0; it < n_items; it++) {
            guint p, m0, m1;
            item_range ((guint) it, n_rb_b, B, &p, &m0, &m1);
            k->gemm (s->hraw + m0 * Hp, Hp, m1 - m0, &ly->wr, p, p + 1,
                net->zeros, 0, yt + m0 * ldo, ldo);
          }
        }
      }

      /* h at the end of the chunk, outputs (the implicit barrier of the
       * last loop above makes every y row complete). nowait: the next
       * writer of this y buffer is layer l + 2, behind at least one more
       * barrier (or the end of the parallel region). */
#ifdef SEQ_HAVE_OPENMP
#pragma omp for schedule(static) nowait
#endif
      for (gint r = 0; r < (gint) rows; r++) {
        if (all_layers || l == L - 1)
          memcpy (out + (gsize) r * ldout + (all_layers ? (gsize) l * O : 0),
              y + (gsize) r * ldo, O * sizeof (float));
        if ((guint) r >= (T - 1) * B)
          memcpy (h0 + (gsize) (r - (T - 1) * B) * ldo, y + (gsize) r * ldo,
              ldo * sizeof (float));
      }

      lin = y;
      ldin = ldo;
    }
  }
}
