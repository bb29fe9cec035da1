"""What the user sees in a terminal: progress, the summary of a run, aligned tables."""
