"""One module per scenario; each returns flat metrics (name -> number) and plottable series."""
