# p50 and p99 of the numbers on stdin (one per line, sorted ascending), divided by `scale`
# (e.g. -v scale=1000 for microseconds to milliseconds): prints "p50 p99", or `none` twice
# when there are none (-v none=null for JSON; default "-").
{ v[NR] = $1 }
END {
  if (scale == "") scale = 1
  if (none == "") none = "-"
  if (NR == 0) { print none, none; exit }
  i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
  i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
  printf "%.3f %.3f\n", v[i50] / scale, v[i99] / scale
}
