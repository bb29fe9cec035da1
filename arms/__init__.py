"""The bandit: arms (optimizer + acquisition + transform) and the strategies that choose among them."""
