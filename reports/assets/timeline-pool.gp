# The thread pool per interval: queue depth and busy workers (tasks, left axis), the pool's size as
# a dashed line (hline), and queue wait p99 per second (ms, right axis) when n is 3. Data sets in
# `data` as for timeline.gp; the axes' tops and tic steps: ymax, ystep, y2max, y2step.
set xrange [0:xmax]
set format x "%g s"
set format y yformat
set yrange [0:ymax]
set ytics 0, ystep
if (n > 2) {
	set y2tics 0, y2step nomirror out scale 0.5 textcolor rgb "#4b5563"
	set format y2 y2format
	set y2range [0:y2max]
	plot hline lc rgb "#9ca3af" lw 1 dt 3 notitle, \
	     data index 1 using 1:2 with filledcurves y1=0 lc rgb word(colors, 2) fs transparent solid 0.16 notitle, \
	     for [i=1:2] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 notitle, \
	     data index 2 using 1:2 axes x1y2 with histeps lc rgb word(colors, 3) lw 1.4 dt 2 notitle
} else {
	plot hline lc rgb "#9ca3af" lw 1 dt 3 notitle, \
	     data index 1 using 1:2 with filledcurves y1=0 lc rgb word(colors, 2) fs transparent solid 0.16 notitle, \
	     for [i=1:2] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 notitle
}
