# Daily rows of 60 stations from 2024-11-01 for 500 days, listed as a daily report lists
# them: every station's day, then the next day.  S05 reads 400 on day 100 (2025-02-09),
# S09 reads 33 for seven days from day 200 (2025-05-20).
BEGIN {
	print "station,date,pm25"
	for (d = 0; d < 500; d++) for (s = 1; s <= 60; s++) {
		pm25 = 20 + (s * 7 + d * 13) % 40
		if (s == 5 && d == 100) pm25 = 400
		if (s == 9 && d >= 200 && d < 207) pm25 = 33
		printf "S%02d,%s,%d\n", s, strftime("%Y-%m-%d", mktime("2024 11 01 12 00 00") + d * 86400), pm25
	}
}
