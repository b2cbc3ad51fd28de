"""The write side's pure core: commands, decision state, decide and evolve. No I/O here."""
