# Event-loop delay per interval (max, p99, p50 in ms: three data sets in `data`, columns time in s,
# value; colors and dashes as for timeline.gp) over shaded blocks (`spans`: start s, end s, one per line; nspans of them).
set xrange [0:xmax]
set format x "%g s"
set format y yformat
set yrange [0:ymax]
set ytics 0, ystep
set style fill transparent solid 0.13 noborder
# Blocks span the whole height without changing the y range (noautoscale).
if (nspans > 0) {
	plot spans using (($1+$2)/2):(0):1:2:(0):(1e9) with boxxyerror noautoscale lc rgb "#dc2626" notitle, \
	     for [i=1:n] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 \
		dt int(word(dashes, i)) notitle
} else {
	plot for [i=1:n] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 \
		dt int(word(dashes, i)) notitle
}
