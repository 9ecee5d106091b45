"""Statistics of the toolkit: scoring, psychometrics, agreement, cadence comparisons, invariance."""
