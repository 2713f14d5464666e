# Sourced by run-suite.sh and run-kinit.sh (bash): the part of the guest's
# run.sh that runs the burn scenarios on two workers (the guest has two
# vCPUs), scenario k on worker k mod 2, each with its log in /scenario/logs.
#   print_workers RUN...   (RUN: "PROGRAM PROFILE TARGET LUN" for scenarios.sh)
print_workers() {
  local runs=("$@") w k r
  for w in 0 1; do
    [ ${#runs[@]} -gt $w ] || continue
    echo "("
    k=0
    for r in "${runs[@]}"; do
      set -- $r
      [ $((k % 2)) = $w ] && echo "  scenario $1 $2 $3 $4 >/scenario/logs/$1-$2.log 2>&1"
      k=$((k + 1))
    done
    echo ") &"
  done
  echo "wait"
}
