# Shell helpers the bench scripts share (sourced).

# empty_tree DIR DIRS FILES: DIRS directories of FILES empty files each.
empty_tree() {
  python3 - "$@" <<'PY'
import os, sys
root, dirs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(dirs):
    sub = os.path.join(root, f"dir{i:04}")
    os.mkdir(sub)
    for k in range(files):
        open(os.path.join(sub, f"file{k:04}"), "wb").close()
PY
}

# The middle one of three numbers, one per line on stdin.
median() { sort -n | sed -n 2p; }
