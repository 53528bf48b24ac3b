# rows.py SEED: a file of daily rows (station, date, pm25, pm10) drawn from SEED: a few to 130
# stations over 40 to 420 days, some days, cells and dates missing, runs of one value, listed
# day by day (the most), by station, by month then year, or shuffled, with maybe a row moved
# to the end, two rows swapped or a row repeated.  Its order and size go to standard error.
import random, sys, datetime
r = random.Random(int(sys.argv[1]))
nst = r.choice([3, 20, 60, 130])
ndays = r.choice([40, 200, 420])
start = datetime.date(2024, r.choice([1, 6, 11]), r.choice([1, 15, 28]))
rows = []
for d in range(ndays):
    for s in range(1, nst + 1):
        if r.random() < 0.02:  # a missing day
            continue
        day = start + datetime.timedelta(days=d)
        v = 20 + (s * 7 + d * 13) % 40
        if r.random() < 0.01:
            v = r.choice([150, 400])
        pm25 = '' if r.random() < 0.02 else str(v)
        pm10 = '' if r.random() < 0.03 else str(v + 10 + d % 3)
        date = '' if r.random() < 0.003 else day.isoformat()
        rows.append([f"S{s:02d}", date, pm25, pm10])
# runs of one value (each row's end of the run drawn anew)
for k in range(r.randint(0, 4)):
    s = r.randint(1, nst)
    d0 = r.randint(0, ndays - 8)
    for row in rows:
        if row[0] == f"S{s:02d}" and row[1] and d0 <= (datetime.date.fromisoformat(row[1]) - start).days < d0 + r.randint(4, 9):
            row[2] = '44'
order = r.choice(['day', 'day', 'station', 'month-year', 'shuffle'])
if order == 'station':
    rows.sort(key=lambda x: (x[0], x[1]))
elif order == 'month-year':
    rows.sort(key=lambda x: (x[1][5:7], x[1][:4], x[1][8:], x[0]))
elif order == 'shuffle':
    r.shuffle(rows)
# disorders
for k in range(r.choice([0, 0, 1, 2])):
    kind = r.choice(['swap-near', 'late', 'dup'])
    i = r.randrange(len(rows))
    if kind == 'swap-near':
        j = min(len(rows) - 1, i + r.randint(1, nst * 2))
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == 'late':
        rows.append(rows.pop(i))
    else:
        rows.append(list(rows[i]))
print("station,date,pm25,pm10")
for row in rows:
    print(",".join(row))
print(order, nst, ndays, file=sys.stderr)
