# The look every loopscope chart shares. reports/gnuplot.c sets chart_w and chart_h (SVG size), then
# loads this file and the chart's own script, which reads its data file (variable `data`).
# Margins are fixed in character widths: every timeline has the same width, so their plot areas span
# the same pixels and one hover line fits them all. Colours a theme may restyle are marked by the
# CSS of the page (reports/assets/report.css): axes #6b7280, tic labels #4b5563, grid #e5e7eb.
set terminal svg size chart_w, chart_h dynamic font "sans,11" linewidth 1
set encoding utf8
set lmargin 10
set rmargin 9
set tmargin 1
set bmargin 2
set border 3 lc rgb "#6b7280" lw 1
set tics nomirror out scale 0.5 textcolor rgb "#4b5563"
set grid ytics lt 1 lw 1 lc rgb "#e5e7eb" dt solid
set key off
set style fill solid 0.18 noborder
