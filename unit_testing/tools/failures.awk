# The failed tests of a suite log, each with its error: node:test TAP ("not ok" and the
# error, expected, actual and location of its YAML block; suites that failed only through
# their subtests are left out) and cargo test (panics). run.sh prints it for every failed
# suite and again at the very end, so a CI summary that keeps only the last lines names them.
/^ *not ok / { name = $0; sub(/^ */, "", name); inblock = 1; err = ""; keep = 0; sub_only = 0; next }
inblock && /failureType: 'subtestsFailed'/ { sub_only = 1 }
inblock && /^ *(error|expected|actual|location):/ { keep = 1; lines = 0; line = $0; sub(/^ */, "", line); err = err "      " line "\n"; next }
inblock && keep && /^ *(code|name|operator|stack|failureType|duration_ms):/ { keep = 0 }
inblock && keep && !/^ *\.\.\.$/ {
  # A long error (a build's output) keeps its first lines: the next failures must fit too.
  if (++lines <= 12) { line = $0; sub(/^ */, "", line); err = err "        " line "\n" }
  else if (lines == 13) err = err "        (more in the log)\n"
  next
}
inblock && /^ *\.\.\.$/ { if (!sub_only) printf "    %s\n%s", name, err; inblock = 0; next }
/panicked at|^---- .* stdout ----$/ { print "    " $0; getline; print "      " $0 }
