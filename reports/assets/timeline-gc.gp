# GC pauses: each at its start time, height = its duration (ms), one data set per V8 type in `data`
# (columns: start s, duration ms); n, colors set by reports/gnuplot.c.
set xrange [0:xmax]
set format x "%g s"
set format y yformat
set yrange [0:ymax]
set ytics 0, ystep
plot for [i=1:n] data index (i-1) using 1:2 with impulses lc rgb word(colors, i) lw 1.6 notitle
