#!/bin/sh
# The model in the HDF5 file: written collectively on 1 and 3 ranks, read back exactly;
# h5py (no mlscan code) sees its shapes.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
prog="$(dirname "$MLSCAN")/tests/mpi/t_model_io"
for n in 1 3; do
        launch "$n" "$prog" "$tmp/m$n.h5" || fail "t_model_io on $n ranks"
done
if "$PYTHON3" -c 'import h5py' 2>/dev/null; then
        "$PYTHON3" - "$tmp/m3.h5" <<'PY' || fail "h5py reading /model"
import sys, h5py
m = h5py.File(sys.argv[1], "r")["model"]
assert list(m.attrs["hidden"]) == [16, 8] and m.attrs["activation"] == "tanh", dict(m.attrs)
# 3*16+16 + 16*8+8 + 8*1+1 parameters
assert m["params"].shape == (209,) and m["adam_v"].shape == (209,) and m["x_mean"].shape == (3,)
assert int(m.attrs["generation"]) == 4
print("h5py reads /model:", dict(m.attrs))
PY
fi
echo PASS
