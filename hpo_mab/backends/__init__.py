"""Where trials run: simulated workers on the clock, this process, or Dask workers."""
