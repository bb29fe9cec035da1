"""HPO algorithms that propose the next candidate from the history: one interface, many plug-ins."""
