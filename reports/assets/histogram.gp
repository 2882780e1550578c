# A histogram on a logarithmic time axis: `data` holds one bin per line (low s, high s, % of all
# values); p50, p99 and vmax (s) are marked with lines labelled l50, l99, lmax when above 0 (a
# marker that would sit on the next one is passed as 0, its label joined to the next one's; one
# near the right end has r50, r99 or rmax set and its label on the left);
# color is the bars' colour; ymax and ystep the y axis's top and tic step.
set micro
set lmargin 8
set rmargin 3
set logscale x 10
set format x "%.0s %cs"
set format y "%g%%"
set yrange [0:ymax]
set ytics 0, ystep
set style fill solid 0.55 noborder
# A label near the right end (r50, r99, rmax: 1) goes to the left of its line.
if (p50 > 0) {
	set arrow 1 from p50, graph 0 to p50, graph 1 nohead lc rgb "#2563eb" dt 2
	if (r50) { set label 1 l50 at p50, graph 1 right offset -0.4, -0.6 textcolor rgb "#2563eb" font ",10" } \
	else { set label 1 l50 at p50, graph 1 offset 0.4, -0.6 textcolor rgb "#2563eb" font ",10" }
}
if (p99 > 0) {
	set arrow 2 from p99, graph 0 to p99, graph 1 nohead lc rgb "#ea580c" dt 2
	if (r99) { set label 2 l99 at p99, graph 1 right offset -0.4, -1.6 textcolor rgb "#ea580c" font ",10" } \
	else { set label 2 l99 at p99, graph 1 offset 0.4, -1.6 textcolor rgb "#ea580c" font ",10" }
}
if (vmax > 0) {
	set arrow 3 from vmax, graph 0 to vmax, graph 1 nohead lc rgb "#dc2626" dt 2
	if (rmax) { set label 3 lmax at vmax, graph 1 right offset -0.4, -2.6 textcolor rgb "#dc2626" font ",10" } \
	else { set label 3 lmax at vmax, graph 1 offset 0.4, -2.6 textcolor rgb "#dc2626" font ",10" }
}
plot data using (sqrt($1*$2)):($3/2):1:2:(0):3 with boxxyerror lc rgb color notitle
