"""`humanaes eval`: the model authors' metrics on labelled photos, with a report people can read."""
