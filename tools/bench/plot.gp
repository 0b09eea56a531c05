# tools/bench/plot.gp — Clasp against OpenSSL's libssl, from scripts/bench.sh's medians.
# gnuplot -e "datadir='DIR'; out='chart.png'" tools/bench/plot.gp
# Reads DIR/hs.dat, DIR/bulk.dat, DIR/mem.dat, DIR/allocs.dat (written by tools/bench/report.awk);
# "NaN" is a row the library cannot run (no bar).
if (!exists("datadir")) datadir = "."
if (!exists("out")) out = "bench.png"

set terminal pngcairo size 1400,1900 font "DejaVu Sans,10" noenhanced
set output out
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics rotate by 25 right nomirror
set yrange [0:*]
set lmargin 14
set multiplot layout 4,1 title "Clasp vs OpenSSL 3.0 libssl, same libcrypto (medians)"

set title "Full and resumed handshakes: CPU per handshake, client + server (µs, lower is better)"
set ylabel "µs"
plot datadir."/hs.dat" using 2:xtic(1) title "Clasp" lc rgb "#1f77b4", \
     '' using 3 title "OpenSSL libssl" lc rgb "#d62728", \
     '' using 4 title "floor (libcrypto only)" lc rgb "#7f7f7f"

set title "Bulk transfer, 16 KiB writes (MB/s of CPU, higher is better)"
set ylabel "MB/s"
set xtics norotate
plot datadir."/bulk.dat" using 2:xtic(1) title "Clasp send" lc rgb "#1f77b4", \
     '' using 3 title "OpenSSL send" lc rgb "#d62728", \
     '' using 4 title "Clasp receive" lc rgb "#aec7e8", \
     '' using 5 title "OpenSSL receive" lc rgb "#ff9896", \
     '' using 6 title "EVP seal" lc rgb "#7f7f7f", \
     '' using 7 title "EVP open" lc rgb "#c7c7c7"

set title "Memory per connection, TLS 1.3 ECDSA (bytes, lower is better)"
set ylabel "bytes"
plot datadir."/mem.dat" using 2:xtic(1) title "Clasp" lc rgb "#1f77b4", \
     '' using 3 title "OpenSSL libssl" lc rgb "#d62728"

set title "Allocation calls per connection, library + libcrypto (lower is better)"
set ylabel "calls"
plot datadir."/allocs.dat" using 2:xtic(1) title "Clasp" lc rgb "#1f77b4", \
     '' using 3 title "OpenSSL libssl" lc rgb "#d62728"

unset multiplot
