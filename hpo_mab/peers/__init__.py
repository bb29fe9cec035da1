"""Peer systems (Optuna, SMAC3, Hyperopt, scikit-optimize) as optimizers of our harness."""

from hpo_mab.lazy import lazy_exports

__all__ = ["PEERS", "make_peer"]
__getattr__ = lazy_exports(
    __name__,
    {
        "PEERS": "hpo_mab.peers.optimizers",
        "make_peer": "hpo_mab.peers.optimizers",
    },
)
