"""The scoring worker: pulls jobs, prefetches pixels, runs the engine, stores results. No widgets."""
