# Daily rows of 20 stations over 100 days, station by station, each station's days out of
# order (day k * 37 % 100 as its k-th row); station S7 reads 9 on days 50 to 55.
BEGIN {
	print "station,day,n"
	for (s = 1; s <= 20; s++) for (k = 0; k < 100; k++) {
		d = k * 37 % 100
		n = (s * 7 + d * 13) % 17
		if (s == 7 && d >= 50 && d <= 55) n = 9
		printf "S%d,%s,%d\n", s, strftime("%Y-%m-%d", mktime("2024 01 01 12 00 00") + d * 86400), n
	}
}
