"""A shell objective: `python examples/train.py --x {x} --lr {lr}` prints JSON lines."""

import argparse
import json
import math

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--lr", type=float, required=True)
args = parser.parse_args()
quality = 0.98 - 0.5 * (args.x - 0.3) ** 2 - 0.02 * abs(math.log10(args.lr) + 2)
for epoch in (1, 2, 3):
    print(json.dumps({"epoch": epoch, "accuracy": quality * (1 - 0.5**epoch)}))
print(json.dumps({"accuracy": quality * (1 - 0.5**3)}))
