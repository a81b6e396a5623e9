"""Pictures of the release: charts, the policy-impact graph, the interactive page."""
