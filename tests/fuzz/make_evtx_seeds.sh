#!/usr/bin/env bash
# Writes the seed corpus of fuzz_evtx into tests/fuzz/corpus/evtx (or $1):
# the first chunk of each fixture written by tests/fixtures/evtx/make_evtx.py,
# cut to its used part (made for diagkit, no third-party bytes), plus a few
# small hand-made edge cases. Run it before fuzzing; the seeds are not committed.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$SRC/tests/fuzz/corpus/evtx}
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 "$SRC/tests/fixtures/evtx/make_evtx.py" "$TMP"
for f in application system types; do
  python3 - "$TMP/$f.evtx" "$OUT/chunk-$f.bin" "$OUT/file-$f.evtx" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
chunk = data[4096:4096 + 65536]
free = struct.unpack_from('<I', chunk, 48)[0]
open(sys.argv[2], 'wb').write(chunk[:free])                # bare chunk: the fuzzer puts a header in front
open(sys.argv[3], 'wb').write(data[:4096 + free])          # a file whose only chunk is cut after its records
PY
done
printf 'ElfFile\0' > "$OUT/header-only.evtx"
printf 'ElfChnk\0' > "$OUT/chunk-magic.bin"
echo "seeds in $OUT: $(ls "$OUT" | grep -vc README)"
# an event as XML text, for the XML path of the target
python3 - "$OUT/event.xml" <<'PY'
import sys
open(sys.argv[1], 'w').write("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
  "<Provider Name='Application Error'/><EventID Qualifiers='0'>1000</EventID><EventRecordID>1</EventRecordID>"
  "<TimeCreated SystemTime='2024-01-31T12:00:00.0000000Z'/></System><EventData><Data Name='a'>x &amp; &#x41;"
  "</Data><Data><![CDATA[y]]></Data></EventData></Event>")
PY
