/* TA-Lib's side of the indicator benchmark: TA-Lib's batch functions for the 12 indicators of
 * finstream's default set (RSI, MACD, SMA, EMA, BBANDS, ATR, STOCH, OBV, ADX + PLUS_DI + MINUS_DI,
 * CCI, WILLR, MFI) over the same deterministic synthetic series as `finstream bench indicators`
 * (same generator, same parameters). Prints the best of R runs; last line `talib_bars_per_s=<n>`.
 * usage: talib_bench [BARS [RUNS]]; built and run by bench_talib.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ta_libc.h"

static uint64_t x = 0x9e3779b97f4a7c15ull;
static double uniform(void) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000000, runs = argc > 2 ? atoi(argv[2]) : 3, r, i;
  double *o = malloc(n * sizeof(double)), *h = malloc(n * sizeof(double)),
         *l = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double)),
         *v = malloc(n * sizeof(double));
  double* out[19];
  double close = 100.0, best = 1e300, checksum = 0;
  int beg, nb;
  for (i = 0; i < 19; i++)
    out[i] = malloc(n * sizeof(double));
  for (i = 0; i < n; i++) { /* the same formulas, in the same order, as bench_indicators_cmd.cpp */
    o[i] = close * (1.0 + (uniform() - 0.5) * 0.01);
    close = o[i] * (1.0 + (uniform() - 0.5) * 0.04);
    h[i] = fmax(o[i], close) * (1.0 + uniform() * 0.01);
    l[i] = fmin(o[i], close) * (1.0 - uniform() * 0.01);
    c[i] = close;
    v[i] = floor(1000.0 + uniform() * 1e6);
  }
  TA_Initialize();
  for (r = 0; r < runs; r++) {
    double t0 = now(), dt;
    TA_RSI(0, n - 1, c, 14, &beg, &nb, out[0]);
    TA_MACD(0, n - 1, c, 12, 26, 9, &beg, &nb, out[1], out[2], out[3]);
    TA_SMA(0, n - 1, c, 20, &beg, &nb, out[4]);
    TA_EMA(0, n - 1, c, 20, &beg, &nb, out[5]);
    TA_BBANDS(0, n - 1, c, 20, 2.0, 2.0, TA_MAType_SMA, &beg, &nb, out[6], out[7], out[8]);
    TA_ATR(0, n - 1, h, l, c, 14, &beg, &nb, out[9]);
    TA_STOCH(0, n - 1, h, l, c, 14, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &beg, &nb, out[10],
             out[11]);
    TA_OBV(0, n - 1, c, v, &beg, &nb, out[12]);
    TA_ADX(0, n - 1, h, l, c, 14, &beg, &nb, out[13]);
    TA_PLUS_DI(0, n - 1, h, l, c, 14, &beg, &nb, out[14]);
    TA_MINUS_DI(0, n - 1, h, l, c, 14, &beg, &nb, out[15]);
    TA_CCI(0, n - 1, h, l, c, 20, &beg, &nb, out[16]);
    TA_WILLR(0, n - 1, h, l, c, 14, &beg, &nb, out[17]);
    TA_MFI(0, n - 1, h, l, c, v, 14, &beg, &nb, out[18]);
    dt = now() - t0;
    if (dt < best) best = dt;
    for (i = 0; i < 19; i++)
      checksum += out[i][nb > 0 ? nb - 1 : 0];
  }
  printf("talib functions=RSI,MACD,SMA,EMA,BBANDS,ATR,STOCH,OBV,ADX,PLUS_DI,MINUS_DI,CCI,WILLR,"
         "MFI\n");
  printf("talib bars=%d runs=%d best_seconds=%.6f ns_per_bar=%.1f checksum=%.6g\n", n, runs, best,
         best * 1e9 / n, checksum);
  printf("talib_bars_per_s=%.0f\n", n / best);
  return 0;
}
