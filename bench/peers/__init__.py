"""Peers: another shop served on this machine, measured against ours (``bench.peers``)."""
