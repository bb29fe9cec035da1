"""hpo-mab: hyperparameter optimisation whose surrogate/acquisition arms are chosen by a multi-armed bandit."""
