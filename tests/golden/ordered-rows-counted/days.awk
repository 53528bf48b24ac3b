# Daily rows of five stations over 40 days; by=day gives them day by day, the days out of
# order (each station's rows far apart and out of order, the stations in reverse),
# by=station station by station, each in order of day.  Station S2 gives day 10 twice,
# 7 then 8, after four days of 7; station S4 jumps on day 25; far=1 adds a day of a
# sixth station a century before the others.
BEGIN {
	print "station,day,n,tag"
	if (far) row(6, -36500, 0)
	if (by == "day") { for (k = 0; k < 40; k++) for (s = 5; s >= 1; s--) day(s, k * 17 % 40) }
	else { for (s = 1; s <= 5; s++) for (d = 0; d < 40; d++) day(s, d) }
}
function day(s, d) {
	row(s, d, 0)
	if (s == 2 && d == 10) row(s, d, 1)
}
function row(s, d, again,   n) {
	n = 10 + (s * 7 + (d + 40000) * 13) % 17
	if (s == 2 && d >= 6 && d <= 10) n = 7 + again
	if (s == 4 && d == 25) n = 90
	printf "S%d,%s,%d,t%02d\n", s, strftime("%Y-%m-%d", mktime("2024 01 01 12 00 00") + d * 86400), n, (d * 7) % 40
}
