# tools/bench/calls.awk — calls per handshake to a few libcrypto functions, from two
# callgrind runs without --toggle-collect (N and 2N handshakes): the difference
# removes setup. (Under --toggle-collect, callgrind's call counts include calls made
# outside the collected function; instruction costs do not.)
#   awk -v n=N -v fns="A B C" -f calls.awk run.N.out run.2N.out
# Prints "function<TAB>calls per handshake" for each name in fns.

# Compressed names: "cfn=(id) name" the first time, "cfn=(id)" afterwards; the
# next "calls=COUNT ..." line belongs to that callee.
FNR == 1 { file++ }
/^c?fn=\(/ {
    id = $1
    sub(/^c?fn=/, "", id)
    if (NF > 1) {
        name = $0
        sub(/^c?fn=\([0-9]+\) /, "", name)
        names[file, id] = name
    }
    callee = ($0 ~ /^cfn=/) ? names[file, id] : ""
    next
}
/^calls=/ && callee != "" {
    count = $1
    sub(/^calls=/, "", count)
    total[file, callee] += count
    callee = ""
}
END {
    k = split(fns, want, " ")
    for (i = 1; i <= k; i++) printf "%s\t%.1f\n", want[i], (total[2, want[i]] - total[1, want[i]]) / n
}
