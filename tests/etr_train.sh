#!/bin/sh
# A shell objective for the early-termination tests: logs its epochs, and leaves a child that would outlive it.
sleep 600 &
echo "$! $1 child" >> "$HPO_TEST_LOG"
for epoch in 1 2 3 4 5 6 7 8 9 10; do
  sleep 0.02
  echo "$$ $1 $epoch" >> "$HPO_TEST_LOG"
  acc=$(python3 -c "x=float('$1'); e=$epoch; print((0.3 if x < 0.5 else 0.9) * min(1.0, e / 2))")
  echo "{\"epoch\": $epoch, \"accuracy\": $acc}"
  # a command does not wait for the verdict: a poor curve trains on slowly until it is stopped
  if [ "$epoch" -ge 2 ] && python3 -c "import sys; sys.exit(float('$1') >= 0.5)"; then sleep 2; fi
done
echo "{\"accuracy\": $acc}"
