#!/usr/bin/env python3
# Writes the plain `date,open,high,low,close,volume` input series for the TA-Lib golden values.
#
# Real series come from the copies in test/data/indicators/ and test/data/yfinance-csv/ (Yahoo chart response bodies, yfinance
# CSV exports); synthetic edge-case series are generated here from fixed seeds, so re-running the
# script rewrites byte-identical files. Prices are written with repr() (shortest round-trip), so the
# C generator and the C++ tests read exactly the same doubles.
import csv
import datetime as dt
import json
import math
import os
import random
import sys
from zoneinfo import ZoneInfo

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DATA = os.path.join(ROOT, 'test', 'data', 'indicators')
OUT = os.path.join(DATA, 'inputs')


def write(name, rows):
    """rows: list of (date, open, high, low, close, volume), ascending by date, unique dates."""
    with open(os.path.join(OUT, name + '.csv'), 'w', newline='') as f:
        f.write('date,open,high,low,close,volume\n')
        for d, o, h, l, c, v in rows:
            f.write('%s,%r,%r,%r,%r,%d\n' % (d.isoformat(), o, h, l, c, v))


def yahoo(file_name):
    # Same rules as the sources' reader: exchange-local date of each timestamp, bars with a null
    # price skipped (never forward-filled).
    body = json.load(open(os.path.join(DATA, 'yahoo', file_name)))
    r = body['chart']['result'][0]
    tz = ZoneInfo(r['meta']['exchangeTimezoneName'])
    q = r['indicators']['quote'][0]
    rows = {}
    for i, ts in enumerate(r['timestamp']):
        vals = [q[k][i] for k in ('open', 'high', 'low', 'close')]
        vol = q['volume'][i]
        if any(v is None or v <= 0 for v in vals):
            continue
        day = dt.datetime.fromtimestamp(ts, tz).date()
        rows[day] = (day, *[float(v) for v in vals], int(vol or 0))
    return [rows[d] for d in sorted(rows)]


def yfinance(file_name):
    # yfinance export: Date/Datetime column with a UTC offset (the local date is its first 10
    # characters), any order, extra columns; rows with a missing or non-positive price are skipped,
    # a repeated date keeps the last row.
    rows = {}
    with open(os.path.join(DATA, '..', 'yfinance-csv', file_name), newline='') as f:
        for rec in csv.DictReader(f):
            date_text = rec.get('Date') or rec.get('Datetime')
            try:
                vals = [float(rec[k]) for k in ('Open', 'High', 'Low', 'Close')]
                vol = float(rec['Volume'] or 0)
            except (TypeError, ValueError):
                continue
            if any(not math.isfinite(v) or v <= 0 for v in vals) or not math.isfinite(vol) or vol < 0:
                continue
            day = dt.date.fromisoformat(date_text[:10])
            rows[day] = (day, *vals, int(vol))
    return [rows[d] for d in sorted(rows)]


def business_days(start, n, gap_after=None, gap_days=0):
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
            if gap_after is not None and len(out) == gap_after:
                d += dt.timedelta(days=gap_days)
        d += dt.timedelta(days=1)
    return out


def walk(seed, n, start_price=100.0, vol=0.02, tick=0.01, volume=(1000, 5_000_000), scale=1.0,
         gap_after=None, gap_days=0):
    # A geometric random walk with intraday ranges, rounded to a tick so that equal highs / lows
    # (ties in rolling max / min) occur; scale multiplies every price afterwards.
    rng = random.Random(seed)
    days = business_days(dt.date(2015, 1, 2), n, gap_after, gap_days)
    rows, close = [], start_price
    for d in days:
        o = close * math.exp(rng.gauss(0, vol / 3))
        c = o * math.exp(rng.gauss(0, vol))
        h = max(o, c) * (1 + abs(rng.gauss(0, vol / 2)))
        l = min(o, c) * (1 - abs(rng.gauss(0, vol / 2)))
        o, h, l, c = (max(tick, round(x / tick) * tick) for x in (o, h, l, c))
        h, l = max(h, o, c), min(l, o, c)
        v = rng.randint(*volume) if volume[1] > 0 else 0
        rows.append((d, o * scale, h * scale, l * scale, c * scale, v))
        close = c
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    write('tsla', yahoo('TSLA-2010-2023.json'))
    write('nvda_split', yahoo('NVDA-split-2021.json'))
    write('msft_dividends', yahoo('MSFT-dividends-2021.json'))
    for name, src in [('yf_aet_l', 'AET-L-1d-100x-error.csv'),
                      ('yf_ssw_jo', 'SSW-JO-1d-100x-error.csv'),
                      ('yf_1398_hk', '1398-HK-1d-bad-div.csv'),
                      ('yf_calm', 'CALM-1d-no-bad-divs.csv'),
                      ('yf_dodfx', 'DODFX-1d-cg-double-count.csv'),
                      ('yf_ken_ta', 'KEN-TA-1d-bad-div.csv'),
                      ('yf_ssnlf', 'SSNLF-1d-bad-div.csv')]:
        write(name, yfinance(src))

    days = business_days(dt.date(2020, 1, 2), 60)
    write('flat', [(d, 10.0, 10.0, 10.0, 10.0, 1000) for d in days])
    # 0.1455 is not a binary fraction: sums of equal values round, which exercises TA-Lib's
    # behaviour on windows that are flat "up to an ulp" (CCI, BBANDS).
    write('flat_zero_volume', [(d, 0.1455, 0.1455, 0.1455, 0.1455, 0) for d in days])
    write('zero_volume', walk(11, 80, volume=(0, 0)))
    write('single_bar', walk(12, 1))
    write('short', walk(13, 10))
    write('gap', walk(14, 150, gap_after=70, gap_days=120))
    jump = walk(15, 120)
    for i in range(60, 63):  # a 1000x spike for three bars, then back
        d, o, h, l, c, v = jump[i]
        jump[i] = (d, o * 1000, h * 1000, l * 1000, c * 1000, v * 50)
    write('jump', jump)
    write('micro_prices', walk(16, 200, start_price=1.0, tick=1e-6, scale=1e-12, volume=(0, 3)))
    write('random_walk', walk(17, 1500))
    alt = []
    for i, d in enumerate(business_days(dt.date(2018, 3, 1), 90)):
        base = 50.0 + (i % 4) * 0.5 if i < 45 else 55.0 - (i % 3) * 0.25
        alt.append((d, base, base + 1.0, base - 1.0, base + (0.5 if i % 2 else -0.5), 100 + i % 5))
    write('ties', alt)
    return 0


if __name__ == '__main__':
    sys.exit(main())
