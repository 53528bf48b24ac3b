# Daily rows of six stations in order of station and day; early=1 gives station 4's
# day 320 once more before its day 300.
BEGIN {
	print "区县代码,区县,站点编号,站点名称,日期,PM2.5,PM10,SO2,NO2,CO,O3-8h"
	for (s = 1; s <= 6; s++) for (d = 0; d < 400; d++) {
		if (early && s == 4 && d == 300) row(s, 320, 0)
		row(s, d, 0)
		if (s == 2 && d == 100) row(s, d, 1)
	}
}
function row(s, d, again,   pm25, pm10) {
	pm25 = 20 + (s * 7 + d * 13) % 40
	if (s == 2 && d >= 96 && d <= 100) pm25 = 35 + again
	if (s == 3 && d == 200) pm25 = 400
	pm10 = pm25 + 15 + (d * 5) % 11
	printf "441802,清城区,QY-AQ-%04d,站点%d,%s,%d,%d,%d,20,0.8,%d\n", s, s, strftime("%Y-%m-%d", mktime("2024 01 01 12 00 00") + d * 86400), pm25, pm10, 8 + (d * 3) % 5, 90 + d % 50
}
