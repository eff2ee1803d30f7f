/* Golden-value generator: runs TA-Lib's own batch functions over one input series and writes CSV.
 *
 * usage: talib_golden INPUT.csv SPEC OUTPUT.csv
 *   INPUT.csv  plain `date,open,high,low,close,volume` (as written by make_inputs.py)
 *   SPEC       finstream's indicator spec with every parameter spelled out, e.g.
 *              "rsi(14),macd(12,26,9),bbands(20,2),obv"
 *   OUTPUT.csv `date,<column>...` with finstream's column names (<output>_<params joined by _>),
 *              one row per input bar, an empty cell where TA-Lib gives no value, values in %.17g.
 *
 * TA-Lib settings: default compatibility, default (zero) unstable periods, BBANDS and STOCH with
 * simple moving averages, BBANDS with equal up/down deviations. Built and run by generate.sh. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta_libc.h"

#define MAX_BARS 100000
#define MAX_COLS 256

static char dates[MAX_BARS][11];
static double o_[MAX_BARS], h_[MAX_BARS], l_[MAX_BARS], c_[MAX_BARS], v_[MAX_BARS];
static int n_bars;

static char col_names[MAX_COLS][96];
static double* col_vals[MAX_COLS];
static int n_cols;

static void die(const char* msg, const char* arg) {
  fprintf(stderr, "talib_golden: %s %s\n", msg, arg ? arg : "");
  exit(1);
}

static void read_input(const char* path) {
  FILE* f = fopen(path, "r");
  char line[1024];
  if (!f) die("cannot open", path);
  if (!fgets(line, sizeof line, f)) die("empty input", path);
  while (fgets(line, sizeof line, f)) {
    char* p = line;
    if (n_bars >= MAX_BARS) die("too many bars in", path);
    memcpy(dates[n_bars], p, 10);
    dates[n_bars][10] = 0;
    p += 11;
    o_[n_bars] = strtod(p, &p), p++;
    h_[n_bars] = strtod(p, &p), p++;
    l_[n_bars] = strtod(p, &p), p++;
    c_[n_bars] = strtod(p, &p), p++;
    v_[n_bars] = strtod(p, &p);
    n_bars++;
  }
  fclose(f);
}

/* Adds one output column: TA-Lib wrote `nb` values for bars beg..beg+nb-1 into `out`. */
static void add_column(const char* output, const char* params, const double* out, int beg, int nb) {
  double* vals = malloc(sizeof(double) * (n_bars > 0 ? n_bars : 1));
  int i;
  if (n_cols >= MAX_COLS) die("too many columns", output);
  for (i = 0; i < n_bars; i++)
    vals[i] = NAN;
  for (i = 0; i < nb; i++)
    vals[beg + i] = out[i];
  if (params[0])
    snprintf(col_names[n_cols], sizeof col_names[0], "%s_%s", output, params);
  else
    snprintf(col_names[n_cols], sizeof col_names[0], "%s", output);
  col_vals[n_cols++] = vals;
}

static void check(TA_RetCode rc, const char* what) {
  if (rc != TA_SUCCESS) die("TA-Lib failed on", what);
}

/* Runs indicator `name` with `np` parameters `p` (their text joined by '_' in `ptext`). */
static void run(const char* name, const double* p, int np, const char* ptext) {
  int n = n_bars, beg = 0, nb = 0, end = n_bars - 1;
  double *a = malloc(sizeof(double) * (n + 1)), *b = malloc(sizeof(double) * (n + 1)),
         *c = malloc(sizeof(double) * (n + 1));
  if (n == 0) {
    /* TA-Lib rejects an empty range; every column is empty. */
    end = 0;
  }
#define NEED(k)                                                                                    \
  if (np != (k)) die("wrong parameter count for", name)
#define CALL(expr)                                                                                 \
  if (n > 0) check(expr, name)
  if (!strcmp(name, "rsi")) {
    NEED(1);
    CALL(TA_RSI(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("rsi", ptext, a, beg, nb);
  } else if (!strcmp(name, "macd")) {
    NEED(3);
    CALL(TA_MACD(0, end, c_, (int)p[0], (int)p[1], (int)p[2], &beg, &nb, a, b, c));
    add_column("macd", ptext, a, beg, nb);
    add_column("macd_signal", ptext, b, beg, nb);
    add_column("macd_hist", ptext, c, beg, nb);
  } else if (!strcmp(name, "sma")) {
    NEED(1);
    CALL(TA_SMA(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("sma", ptext, a, beg, nb);
  } else if (!strcmp(name, "ema")) {
    NEED(1);
    CALL(TA_EMA(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("ema", ptext, a, beg, nb);
  } else if (!strcmp(name, "bbands")) {
    NEED(2);
    CALL(TA_BBANDS(0, end, c_, (int)p[0], p[1], p[1], TA_MAType_SMA, &beg, &nb, a, b, c));
    add_column("bb_upper", ptext, a, beg, nb);
    add_column("bb_middle", ptext, b, beg, nb);
    add_column("bb_lower", ptext, c, beg, nb);
  } else if (!strcmp(name, "atr")) {
    NEED(1);
    CALL(TA_ATR(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("atr", ptext, a, beg, nb);
  } else if (!strcmp(name, "stoch")) {
    NEED(3);
    CALL(TA_STOCH(0, end, h_, l_, c_, (int)p[0], (int)p[1], TA_MAType_SMA, (int)p[2], TA_MAType_SMA,
                  &beg, &nb, a, b));
    add_column("stoch_k", ptext, a, beg, nb);
    add_column("stoch_d", ptext, b, beg, nb);
  } else if (!strcmp(name, "obv")) {
    NEED(0);
    CALL(TA_OBV(0, end, c_, v_, &beg, &nb, a));
    add_column("obv", ptext, a, beg, nb);
  } else if (!strcmp(name, "adx")) {
    NEED(1);
    CALL(TA_ADX(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("adx", ptext, a, beg, nb);
    CALL(TA_PLUS_DI(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("plus_di", ptext, a, beg, nb);
    CALL(TA_MINUS_DI(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("minus_di", ptext, a, beg, nb);
  } else if (!strcmp(name, "cci")) {
    NEED(1);
    CALL(TA_CCI(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("cci", ptext, a, beg, nb);
  } else if (!strcmp(name, "willr")) {
    NEED(1);
    CALL(TA_WILLR(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("willr", ptext, a, beg, nb);
  } else if (!strcmp(name, "mfi")) {
    NEED(1);
    CALL(TA_MFI(0, end, h_, l_, c_, v_, (int)p[0], &beg, &nb, a));
    add_column("mfi", ptext, a, beg, nb);
  } else if (!strcmp(name, "mom")) {
    NEED(1);
    CALL(TA_MOM(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("mom", ptext, a, beg, nb);
  } else if (!strcmp(name, "roc")) {
    NEED(1);
    CALL(TA_ROC(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("roc", ptext, a, beg, nb);
  } else if (!strcmp(name, "wma")) {
    NEED(1);
    CALL(TA_WMA(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("wma", ptext, a, beg, nb);
  } else if (!strcmp(name, "aroon")) {
    NEED(1);
    CALL(TA_AROON(0, end, h_, l_, (int)p[0], &beg, &nb, a, b));
    add_column("aroon_down", ptext, a, beg, nb);
    add_column("aroon_up", ptext, b, beg, nb);
  } else if (!strcmp(name, "trix")) {
    NEED(1);
    CALL(TA_TRIX(0, end, c_, (int)p[0], &beg, &nb, a));
    add_column("trix", ptext, a, beg, nb);
  } else if (!strcmp(name, "natr")) {
    NEED(1);
    CALL(TA_NATR(0, end, h_, l_, c_, (int)p[0], &beg, &nb, a));
    add_column("natr", ptext, a, beg, nb);
  } else {
    die("unknown indicator", name);
  }
  if (n == 0) {
    /* no bars: add_column above wrote nothing */
  }
  free(a), free(b), free(c);
}

static void parse_spec(const char* spec) {
  const char* s = spec;
  while (*s) {
    char name[32], ptext[64] = "";
    double p[8];
    int np = 0, k = 0;
    while (*s == ',' || isspace((unsigned char)*s))
      s++;
    if (!*s) break;
    while (isalnum((unsigned char)*s) || *s == '_') {
      if (k < 31) name[k++] = *s;
      s++;
    }
    name[k] = 0;
    if (*s == '(') {
      s++;
      while (*s && *s != ')') {
        char tok[32];
        int t = 0;
        while (*s == ',' || isspace((unsigned char)*s))
          s++;
        while (*s && *s != ',' && *s != ')' && t < 31)
          tok[t++] = *s++;
        tok[t] = 0;
        if (!t) continue;
        if (np >= 8) die("too many parameters in", spec);
        p[np++] = strtod(tok, NULL);
        if (ptext[0]) strcat(ptext, "_");
        strcat(ptext, tok);
      }
      if (*s != ')') die("unbalanced parenthesis in", spec);
      s++;
    }
    run(name, p, np, ptext);
  }
}

int main(int argc, char** argv) {
  FILE* out;
  int i, j;
  if (argc != 4) die("usage: talib_golden INPUT.csv SPEC OUTPUT.csv", NULL);
  if (TA_Initialize() != TA_SUCCESS) die("TA_Initialize failed", NULL);
  read_input(argv[1]);
  parse_spec(argv[2]);
  out = fopen(argv[3], "w");
  if (!out) die("cannot write", argv[3]);
  fprintf(out, "date");
  for (j = 0; j < n_cols; j++)
    fprintf(out, ",%s", col_names[j]);
  fprintf(out, "\n");
  for (i = 0; i < n_bars; i++) {
    fprintf(out, "%s", dates[i]);
    for (j = 0; j < n_cols; j++) {
      if (isnan(col_vals[j][i]))
        fprintf(out, ",");
      else
        fprintf(out, ",%.17g", col_vals[j][i]);
    }
    fprintf(out, "\n");
  }
  fclose(out);
  TA_Shutdown();
  return 0;
}
