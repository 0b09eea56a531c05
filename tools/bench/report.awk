# tools/bench/report.awk — medians and Clasp/OpenSSL ratios from clasp-bench runs.
#
# Input: the outputs of clasp-bench (files named clasp.<round>.txt) and
# clasp-bench-openssl (openssl.<round>.txt), lines "R <row> <metric> <value>"
# and "R <row> status ok|na|fail [reason]" (tab-separated). Output: markdown
# tables on stdout. With -v datadir=DIR it also writes DIR/hs.dat,
# DIR/bulk.dat, DIR/mem.dat and DIR/allocs.dat for tools/bench/plot.gp.
# Plain POSIX awk (Debian's default is mawk): no asort, no gensub.

BEGIN { FS = "\t"; nrows = 0 }

function impl_of(file,    base) {
    base = file
    sub(/.*\//, "", base)
    sub(/\..*/, "", base)
    return base
}

function note_row(row) {
    if (!(row in seen)) {
        seen[row] = 1
        order[++nrows] = row
    }
}

{ impl = impl_of(FILENAME) }

$1 == "M" { meta[impl, $2] = $3; next }

$1 == "R" && $3 == "status" {
    note_row($2)
    rounds[impl, $2]++
    if ($4 == "ok") {
        okc[impl, $2]++
    } else if (!((impl, $2) in bad)) {
        bad[impl, $2] = $4
        why[impl, $2] = $5
    }
    next
}

$1 == "R" {
    k = impl SUBSEP $2 SUBSEP $3
    cnt[k]++
    val[k, cnt[k]] = $4 + 0
    # the floor is libcrypto work, the same in both binaries: pool both
    if ($3 ~ /^floor/) {
        fk = "both" SUBSEP $2 SUBSEP $3
        cnt[fk]++
        val[fk, cnt[fk]] = $4 + 0
    }
}

# Median of the values of (impl, row, metric); "" when there are none.
function median(impl, row, metric,    k, n, i, j, t, a) {
    k = impl SUBSEP row SUBSEP metric
    n = cnt[k] + 0
    if (n == 0) return ""
    for (i = 1; i <= n; i++) a[i] = val[k, i]
    for (i = 2; i <= n; i++) {
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    if (n % 2) return a[(n + 1) / 2]
    return (a[n / 2] + a[n / 2 + 1]) / 2
}

function name_of(impl) { return impl == "clasp" ? "Clasp" : impl == "openssl" ? "OpenSSL" : impl }

# A table cell: the median, or why there is none.
function cell(impl, row, metric, fmt,    m) {
    if (okc[impl, row] + 0 == 0) {
        if (!((impl, row) in bad)) return "–"
        if (bad[impl, row] == "na") return "n/a (not implemented in " name_of(impl) ")"
        return "FAILED"
    }
    m = median(impl, row, metric)
    if (m == "") return "–"
    return sprintf(fmt, m)
}

function ratio(a, b) {
    if (a == "" || b == "" || b + 0 == 0) return "–"
    return sprintf("%.2f", a / b)
}

function okmed(impl, row, metric) {
    if (okc[impl, row] + 0 == 0) return ""
    return median(impl, row, metric)
}

function dat(v) { return v == "" ? "NaN" : v }

function hs_tables(    i, r, c, o, f) {
    print "### Handshakes: CPU per handshake, client + server (µs)"
    print ""
    print "| row | Clasp | OpenSSL | Clasp/OpenSSL | floor | Clasp/floor | OpenSSL/floor |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (!(r ~ /^tls1[23]-/)) continue
        c = okmed("clasp", r, "hs_us"); o = okmed("openssl", r, "hs_us"); f = median("both", r, "floor_us")
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", r, cell("clasp", r, "hs_us", "%.1f"),
            cell("openssl", r, "hs_us", "%.1f"), ratio(c, o), f == "" ? "–" : sprintf("%.1f", f),
            ratio(c, f), ratio(o, f)
        if (datadir != "") printf "%s %s %s %s\n", r, dat(c), dat(o), dat(f) > (datadir "/hs.dat")
    }
    print ""
    print "### Handshakes: CPU per side (µs)"
    print ""
    print "| row | Clasp client | OpenSSL client | ratio | Clasp server | OpenSSL server | ratio |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (!(r ~ /^tls1[23]-/)) continue
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", r,
            cell("clasp", r, "client_us", "%.1f"), cell("openssl", r, "client_us", "%.1f"),
            ratio(okmed("clasp", r, "client_us"), okmed("openssl", r, "client_us")),
            cell("clasp", r, "server_us", "%.1f"), cell("openssl", r, "server_us", "%.1f"),
            ratio(okmed("clasp", r, "server_us"), okmed("openssl", r, "server_us"))
    }
    print ""
}

function floor_table(    i, r, p, line, any, parts, np) {
    np = split("kex sign parse verify chain hkdf transcript aead", parts, " ")
    any = 0
    for (i = 1; i <= nrows; i++) if (median("both", order[i], "floor_kex_us") != "") any = 1
    if (!any) return
    print "### The floor, by part (µs per handshake, both sides; medians of both binaries)"
    print ""
    print "| row | key shares | sign | cert parse | CV verify | chain | HKDF | transcript | AEAD | floor |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (median("both", r, "floor_us") == "") continue
        line = "| " r
        for (p = 1; p <= np; p++) {
            v = median("both", r, "floor_" parts[p] "_us")
            line = line " | " (v == "" ? "–" : sprintf("%.1f", v))
        }
        printf "%s | %.1f |\n", line, median("both", r, "floor_us")
    }
    print ""
}

function bulk_table(    i, r, cs, os, cr, orr, es, eo) {
    print "### Bulk: 16 KiB writes, client to server (MB/s of CPU time per side)"
    print ""
    print "| row | Clasp send | OpenSSL send | ratio | Clasp recv | OpenSSL recv | ratio | EVP seal | EVP open | Clasp send/EVP | Clasp recv/EVP |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (!(r ~ /^bulk-/)) continue
        cs = okmed("clasp", r, "send_mbps"); os = okmed("openssl", r, "send_mbps")
        cr = okmed("clasp", r, "recv_mbps"); orr = okmed("openssl", r, "recv_mbps")
        es = median("openssl", r, "evp_seal_mbps"); eo = median("openssl", r, "evp_open_mbps")
        if (es == "") es = median("clasp", r, "evp_seal_mbps")
        if (eo == "") eo = median("clasp", r, "evp_open_mbps")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r,
            cell("clasp", r, "send_mbps", "%.0f"), cell("openssl", r, "send_mbps", "%.0f"), ratio(cs, os),
            cell("clasp", r, "recv_mbps", "%.0f"), cell("openssl", r, "recv_mbps", "%.0f"), ratio(cr, orr),
            es == "" ? "–" : sprintf("%.0f", es), eo == "" ? "–" : sprintf("%.0f", eo), ratio(cs, es), ratio(cr, eo)
        if (datadir != "") printf "%s %s %s %s %s %s %s\n", r, dat(cs), dat(os), dat(cr), dat(orr), dat(es), dat(eo) > (datadir "/bulk.dat")
    }
    print ""
}

function mem_table(    i, r, m, ms, nm, label, short, c, o) {
    nm = split("idle_client_bytes idle_server_bytes hs_peak_bytes hs_allocs hs_allocs_client hs_allocs_server residual_bytes floor_allocs floor_peak_bytes floor_kex_allocs floor_sign_allocs floor_parse_allocs floor_verify_allocs floor_hkdf_allocs floor_transcript_allocs floor_aead_allocs", ms, " ")
    split("heap per idle connection, client (bytes)|heap per idle connection, server (bytes)|heap peak during one handshake, both sides (bytes)|allocation calls per connection, both sides|allocation calls, client|allocation calls, server|heap left after both SSL_free (bytes)|floor (in each binary): allocation calls of its libcrypto work|floor (in each binary): heap peak of its libcrypto work (bytes)|floor (in each binary) allocation calls: key shares|floor (in each binary) allocation calls: sign|floor (in each binary) allocation calls: certificate parse (d2i_X509)|floor (in each binary) allocation calls: CV verify|floor (in each binary) allocation calls: HKDF (42 HMACs)|floor (in each binary) allocation calls: transcript|floor (in each binary) allocation calls: AEAD", label, "|")
    split("idle connection, client|idle connection, server|handshake peak, both sides|both sides|client|server", short, "|")
    print "### Memory (libcrypto allocator hook: libssl/Clasp and libcrypto together)"
    print ""
    print "| row | metric | Clasp | OpenSSL | Clasp/OpenSSL |"
    print "|---|---|---:|---:|---:|"
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (!(r ~ /^memory/)) continue
        for (m = 1; m <= nm; m++) {
            # the floor does not depend on the library's modes: shown once
            if (ms[m] ~ /^floor/ && r != "memory") continue
            c = okmed("clasp", r, ms[m]); o = okmed("openssl", r, ms[m])
            printf "| %s | %s | %s | %s | %s |\n", r, label[m], cell("clasp", r, ms[m], "%.0f"),
                cell("openssl", r, ms[m], "%.0f"), ratio(c, o)
            if (datadir != "" && r == "memory" && m <= 3) printf "\"%s\" %s %s\n", short[m], dat(c), dat(o) > (datadir "/mem.dat")
            if (datadir != "" && r == "memory" && m >= 4 && m <= 6) printf "\"%s\" %s %s\n", short[m], dat(c), dat(o) > (datadir "/allocs.dat")
        }
    }
    print ""
}

function thread_table(    i, r) {
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        if (!(r ~ /^threads/)) continue
        print "### Two threads on shared SSL_CTXs (handshakes per second per thread, wall clock)"
        print ""
        print "| row | metric | Clasp | OpenSSL | Clasp/OpenSSL |"
        print "|---|---|---:|---:|---:|"
        printf "| %s | one thread | %s | %s | %s |\n", r, cell("clasp", r, "rate1_hs_per_s", "%.0f"),
            cell("openssl", r, "rate1_hs_per_s", "%.0f"), ratio(okmed("clasp", r, "rate1_hs_per_s"), okmed("openssl", r, "rate1_hs_per_s"))
        printf "| %s | two threads, per thread | %s | %s | %s |\n", r, cell("clasp", r, "rate2_hs_per_s_per_thread", "%.0f"),
            cell("openssl", r, "rate2_hs_per_s_per_thread", "%.0f"),
            ratio(okmed("clasp", r, "rate2_hs_per_s_per_thread"), okmed("openssl", r, "rate2_hs_per_s_per_thread"))
        printf "| %s | scaling (two/one) | %s | %s | %s |\n", r, cell("clasp", r, "scaling", "%.2f"),
            cell("openssl", r, "scaling", "%.2f"), ratio(okmed("clasp", r, "scaling"), okmed("openssl", r, "scaling"))
        print ""
    }
}

function notes(    i, r, imp, k, n) {
    n = 0
    for (i = 1; i <= nrows; i++) {
        r = order[i]
        for (k = 1; k <= 2; k++) {
            imp = k == 1 ? "clasp" : "openssl"
            if (!((imp, r) in bad)) continue
            if (n++ == 0) { print "### Rows without a figure, and why"; print "" }
            printf "- %s, %s: %s in %d of %d runs: %s\n", r, name_of(imp), bad[imp, r] == "na" ? "n/a" : "FAILED",
                rounds[imp, r] - okc[imp, r], rounds[imp, r], why[imp, r]
        }
    }
    if (n) print ""
}

END {
    printf "Medians of %d Clasp and %d OpenSSL runs (interleaved). libcrypto: %s.\n\n",
        rounds["clasp", order[1]], rounds["openssl", order[1]], meta["openssl", "libcrypto"]
    hs_tables()
    floor_table()
    bulk_table()
    mem_table()
    thread_table()
    notes()
}
