# Daily rows of 60 stations from 2024-11-01 for 500 days, listed as a daily report lists
# them: every station's day, then the next day (1,024 rows are the first 17 days and a
# bit).  PM2.5 stays at 44 at S03 on days 14 to 20, at 55 at S07 on days 200 to 205;
# it is above 100 at S11 on days 15 to 19 and at S20 on days 300 to 303.  S30 has no
# PM10; PM10 stays at 66 at S40 on days 2 to 8.
BEGIN {
	print "station,date,pm25,pm10"
	for (d = 0; d < 500; d++) for (s = 1; s <= 60; s++) {
		pm25 = 20 + (s * 7 + d * 13) % 40
		if (s == 3 && d >= 14 && d <= 20) pm25 = 44
		if (s == 7 && d >= 200 && d <= 205) pm25 = 55
		if (s == 11 && d >= 15 && d <= 19) pm25 = 150
		if (s == 20 && d >= 300 && d <= 303) pm25 = 130
		pm10 = s == 30 ? "" : s == 40 && d >= 2 && d <= 8 ? 66 : pm25 + 10 + d % 3
		printf "S%02d,%s,%d,%s\n", s, strftime("%Y-%m-%d", mktime("2024 11 01 12 00 00") + d * 86400), pm25, pm10
	}
}
