"""One file per schema change, in order; never edited once released."""
