"""`make bench`: benchmarks of hybrid-sessions against the local stack, as same-run ratios."""
