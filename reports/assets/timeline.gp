# A timeline of up to eight series (CPU, memory, ELU): `data` holds one data set per series
# (columns: time in s, value), separated by two blank lines; n, colors, dashes (1 solid, 2 dashed),
# areas (the series filled below their line), xmax and yformat are set by
# reports/charts.c, and the y axis: ymax (its top) and ystep (between tics).
set xrange [0:xmax]
set format x "%g s"
set format y yformat
set yrange [0:ymax]
set ytics 0, ystep
if (words(areas) > 0) {
	plot for [k=1:words(areas)] data index (int(word(areas, k))-1) using 1:2 \
		with filledcurves y1=0 lc rgb word(colors, int(word(areas, k))) fs transparent solid 0.16 notitle, \
	     for [i=1:n] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 dt int(word(dashes, i)) notitle
} else {
	plot for [i=1:n] data index (i-1) using 1:2 with lines lc rgb word(colors, i) lw 1.6 dt int(word(dashes, i)) notitle
}
